// What a runtime test installs: the pinned runtime (scripts/runtimes.mjs), and the built package packed and installed into an app as a user would, once per content.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { childEnv, runToEnd } from './processes.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const APPS = join(ROOT, 'test/runtimes/apps');
/** Where scripts/runtimes.mjs keeps the runtimes (the same rule), and these helpers the packed package and installed apps. */
export const CACHE = process.env['HSI_RUNTIMES_CACHE'] ? resolve(process.env['HSI_RUNTIMES_CACHE']) : join(ROOT, '.cache/runtimes');

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
  const json = output
    .split('\n')
    .reverse()
    .find((line) => line.startsWith('{'));
  if (!json) throw new Error(`scripts/runtimes.mjs printed no result:\n${output}`);
  const runtime = (JSON.parse(json) as Record<string, InstalledRuntime>)[name]!;
  note(
    `${name} ${Object.entries(runtime.versions)
      .map(([pkg, v]) => `${pkg}@${v}`)
      .join(' ')}: ${runtime.installSeconds > 0 ? `installed in ${runtime.installSeconds.toFixed(1)} s` : 'cached'}`,
  );
  return runtime;
}

/** Every file under `dir`, sorted, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** A short hash of files (by path and content) and any other inputs. */
function contentKey(base: string, paths: string[], extra = ''): string {
  const hash = createHash('sha256').update(extra);
  for (const path of paths) hash.update(`\0${path}\0`).update(readFileSync(join(base, path)));
  return hash.digest('hex').slice(0, 12);
}

// Entries of another content (an older build) are removed once nothing can still be using them.
const STALE_AFTER_MS = 60 * 60_000;

/**
 * `dir`, made by `make` in a folder of its own that is then renamed into place: a test file running at the same
 * time makes its own and the first rename wins, so no lock is needed. Older entries beside it are removed.
 * Returns the seconds it took to make, 0 when it was there.
 */
async function cachedDir(dir: string, make: (partial: string) => Promise<void>): Promise<number> {
  const parent = join(dir, '..');
  if (existsSync(dir)) {
    const now = new Date();
    utimesSync(dir, now, now);
    return 0;
  }
  const started = performance.now();
  mkdirSync(parent, { recursive: true });
  const partial = mkdtempSync(`${dir}.partial-`);
  try {
    await make(partial);
    renameSync(partial, dir);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  for (const entry of readdirSync(parent)) {
    const path = join(parent, entry);
    if (path !== dir && Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
  }
  return (performance.now() - started) / 1000;
}

let packing: Promise<string> | undefined;

/** The built package packed as npm publishes it (`npm pack`), once per content of what it packs: the tarball's path. */
export function packedPackage(): Promise<string> {
  // Once per test file (dist/ does not change during a run), and shared by its apps.
  return (packing ??= pack());
}

async function pack(): Promise<string> {
  if (!existsSync(join(ROOT, 'dist/esm/src/index.js'))) throw new Error('dist/ is missing: `npm test` builds it first (npm run build).');
  const key = contentKey(ROOT, ['package.json', 'README.md', ...filesUnder(join(ROOT, 'dist')).map((path) => join('dist', path))]);
  const dir = join(CACHE, 'packed', key);
  await cachedDir(dir, async (partial) => {
    await runToEnd('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', partial], { cwd: ROOT, timeoutMs: 60_000 });
  });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}.`);
  return join(dir, tarball);
}

/** Installs the packed package and `dependencies` into `dir` with npm (its own dependencies come with it, as for a user). */
export async function installPackage(dir: string, tarball: string, dependencies: Record<string, string> = {}): Promise<void> {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ private: true, type: 'module', dependencies: { 'hubspot-identify': `file:${tarball}`, ...dependencies } }, null, 2),
  );
  await runToEnd('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
    cwd: dir,
    env: childEnv(),
    timeoutMs: 180_000,
  });
}

export interface AppInstall {
  /** Packages installed beside the package (name to version). */
  dependencies?: Record<string, string>;
  /** Files written into the app (name to content), such as a Worker's .dev.vars. */
  files?: Record<string, string>;
}

// The apps of one test file share an install in progress rather than racing to make the same one.
const appInstalls = new Map<string, Promise<{ dir: string; installSeconds: number }>>();

/**
 * An app of test/runtimes/apps with the packed package installed, once per content of the package, the app and
 * what `install` adds: the test files of every runtime serve the same folder, and only read it. Returns the
 * folder, and the seconds its install took (0 when it was there).
 */
export async function installedApp(
  app: string,
  { dependencies = {}, files = {} }: AppInstall = {},
): Promise<{ dir: string; installSeconds: number }> {
  const tarball = await packedPackage();
  const source = join(APPS, app);
  const key = contentKey(source, filesUnder(source), JSON.stringify({ tarball: relative(CACHE, tarball), dependencies, files }));
  const dir = join(CACHE, 'apps', `${app}-${key}`);
  let install = appInstalls.get(dir);
  if (!install) {
    install = cachedDir(dir, async (partial) => {
      cpSync(source, partial, { recursive: true });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(partial, name), content);
      await installPackage(partial, tarball, dependencies);
    }).then((installSeconds) => ({ dir, installSeconds }));
    appInstalls.set(dir, install);
  }
  return install;
}
