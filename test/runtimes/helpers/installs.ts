// What a runtime test installs: the pinned runtime (scripts/runtimes.mjs), and the built package packed and installed into the app as a user would.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childEnv, runToEnd } from './processes.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const APPS = join(ROOT, 'test/runtimes/apps');

export type RuntimeName = 'bun' | 'deno' | 'wrangler' | 'next';

export interface InstalledRuntime {
  name: RuntimeName;
  dir: string;
  /** The binary (for wrangler, the Node.js that runs it; for next, this Node.js). */
  bin: string;
  /** The script the binary runs (wrangler.js, next's bin), when there is one. */
  script?: string;
  versions: Record<string, string>;
  /** wrangler: the newest compatibility date its workerd accepts. */
  compatibilityDate?: string;
  /** 0 when it was in the cache already. */
  installSeconds: number;
}

/** Prints a timing line in the test output, for the first-run and cached costs of each runtime. */
export function note(message: string): void {
  console.log(`[runtimes] ${message}`);
}

export async function seconds<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, (performance.now() - started) / 1000];
}

/** The runtime, from the cache or installed into it now (pinned, from the npm registry). */
export async function installRuntime(name: RuntimeName): Promise<InstalledRuntime> {
  const output = await runToEnd(process.execPath, [join(ROOT, 'scripts/runtimes.mjs'), '--json', name], { cwd: ROOT, timeoutMs: 300_000 });
  const json = output.split('\n').reverse().find((line) => line.startsWith('{'));
  if (!json) throw new Error(`scripts/runtimes.mjs printed no result:\n${output}`);
  const runtime = (JSON.parse(json) as Record<string, InstalledRuntime>)[name]!;
  note(`${name} ${Object.entries(runtime.versions).map(([pkg, v]) => `${pkg}@${v}`).join(' ')}: ${runtime.installSeconds > 0 ? `installed in ${runtime.installSeconds.toFixed(1)} s` : 'cached'}`);
  return runtime;
}

/** The built package packed as npm publishes it, in a folder of its own (removed by the caller). */
export async function packPackage(): Promise<{ tarball: string; dir: string }> {
  if (!existsSync(join(ROOT, 'dist/esm/src/index.js'))) throw new Error('dist/ is missing: `npm test` builds it first (npm run build).');
  const dir = mkdtempSync(join(tmpdir(), 'hsi-runtimes-'));
  const output = await runToEnd('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 60_000 });
  const filename = /"filename":\s*"([^"]+)"/.exec(output)?.[1];
  if (!filename) throw new Error(`npm pack printed no filename:\n${output}`);
  return { tarball: join(dir, filename), dir };
}

/**
 * Copies an app from test/runtimes/apps into `dir` and installs the packed package there with npm (its own
 * dependencies come with it, as for a user), plus `dependencies`.
 */
export async function installApp(app: string, dir: string, tarball: string, dependencies: Record<string, string> = {}): Promise<void> {
  cpSync(join(APPS, app), dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module', dependencies: { 'hubspot-identify': `file:${tarball}`, ...dependencies } }, null, 2));
  await runToEnd('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: dir, env: childEnv(), timeoutMs: 180_000 });
}

/** A scratch folder for one test file's app; `remove` deletes it. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `hsi-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
