// Starts the fetch app (test/runtimes/apps/fetch) on a runtime for one test file: Node.js, Bun, Deno, or workerd through wrangler dev.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { FakeHubSpot } from '../../../src/testing/index.js';
import { launchChromium } from '../../helpers/browser.js';
import { useFakeHubSpot } from '../../helpers/hubspot.js';
import { installApp, installRuntime, note, packPackage, scratchDir, seconds, type InstalledRuntime } from './installs.js';
import { childEnv, freePort, start, stoppedOnFailure, type Started } from './processes.js';

export const ACCESS_TOKEN = 'test-access-token';
const START_TIMEOUT_MS = 60_000;

export type FetchRuntime = 'node' | 'bun' | 'deno' | { wrangler: string };

const nameOf = (runtime: FetchRuntime) => (typeof runtime === 'string' ? runtime : `wrangler dev -c ${runtime.wrangler}`);

// The version @hono/node-server the repository's own tests use.
const NODE_SERVER = '2.1.9';

async function launch(runtime: FetchRuntime, installed: InstalledRuntime | undefined, dir: string, hubspot: FakeHubSpot): Promise<{ app: Started; origin: string }> {
  const env = { HUBSPOT_BASE_URL: hubspot.baseUrl, HUBSPOT_LOADER_URL: hubspot.loaderUrl };
  if (runtime === 'node' || runtime === 'bun' || runtime === 'deno') {
    const processEnv = childEnv({ ...env, PORT: '0', HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' });
    const app = runtime === 'node'
      ? start(process.execPath, ['node.mjs'], { cwd: dir, env: processEnv })
      : runtime === 'bun'
        ? start(installed!.bin, ['bun.ts'], { cwd: dir, env: processEnv })
        // The fewest permissions the app needs: loopback sockets and its four variables.
        : start(installed!.bin, ['run', '--allow-net=127.0.0.1', '--allow-env=HUBSPOT_ACCESS_TOKEN,HUBSPOT_BASE_URL,HUBSPOT_LOADER_URL,PORT', 'deno.ts'], { cwd: dir, env: processEnv });
    const origin = (await stoppedOnFailure(app, app.waitFor(/listening on (http:\/\/[\d.:]+)/, START_TIMEOUT_MS)))[1]!;
    return { app, origin };
  }
  // Secrets reach a Worker in development from .dev.vars, beside its wrangler config; plain vars from --var.
  writeFileSync(join(dir, '.dev.vars'), `HUBSPOT_ACCESS_TOKEN=${ACCESS_TOKEN}\n`);
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const app = start(installed!.bin, [
    installed!.script!, 'dev', '-c', runtime.wrangler, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort),
    '--var', `HUBSPOT_BASE_URL:${env.HUBSPOT_BASE_URL}`, '--var', `HUBSPOT_LOADER_URL:${env.HUBSPOT_LOADER_URL}`,
  ], {
    cwd: dir,
    env: childEnv({ CI: 'true', WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG_PATH: join(dir, '.wrangler-logs'), XDG_CONFIG_HOME: join(dir, '.config') }),
  });
  const ready = await stoppedOnFailure(app, app.waitFor(/Ready on (http:\/\/[\d.:]+)|The Workers runtime failed to start|✘ \[ERROR\]/, START_TIMEOUT_MS));
  if (!ready[1]) {
    // Let it finish saying why.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await app.stop();
    throw new Error(`wrangler dev -c ${runtime.wrangler} did not start the Worker:\n${app.output()}`);
  }
  return { app, origin: ready[1] };
}

export interface FetchApp {
  origin: () => string;
  hubspot: () => FakeHubSpot;
  browser: () => Browser;
  runtime: () => InstalledRuntime | undefined;
}

/**
 * For the calling test file: a fake HubSpot, the packed package installed in a copy of the fetch app, the
 * app started on the runtime (installed first when missing), and Chromium. All stopped in afterAll.
 */
export function useFetchApp(runtime: FetchRuntime): FetchApp {
  const hubspot = useFakeHubSpot();
  let installed: InstalledRuntime | undefined;
  let started: Started | undefined;
  let origin = '';
  let browser: Browser | undefined;
  let cleanups: (() => void)[] = [];
  // Kept for each test to throw: every check then fails with what stopped the app, not as skipped.
  let failure: unknown;

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = error;
    }
  }, 360_000);

  async function setUp() {
    const name = nameOf(runtime);
    const [runtimeInstalled, packed] = await Promise.all([
      runtime === 'node' ? Promise.resolve(undefined) : installRuntime(typeof runtime === 'string' ? runtime : 'wrangler'),
      packPackage(),
    ]);
    installed = runtimeInstalled;
    const scratch = scratchDir('app');
    cleanups = [scratch.remove, () => rmSync(packed.dir, { recursive: true, force: true })];
    const [, installSeconds] = await seconds(() => installApp('fetch', scratch.dir, packed.tarball, runtime === 'node' ? { '@hono/node-server': NODE_SERVER } : {}));
    const [launched, startSeconds] = await seconds(() => launch(runtime, installed, scratch.dir, hubspot()));
    started = launched.app;
    origin = launched.origin;
    note(`${name}: app installed in ${installSeconds.toFixed(1)} s, started in ${startSeconds.toFixed(1)} s`);
    browser = await launchChromium();
  }

  afterAll(async () => {
    await browser?.close();
    await started?.stop();
    for (const cleanup of cleanups) cleanup();
  });

  const ready = () => {
    if (failure !== undefined) throw failure;
  };
  return {
    origin: () => (ready(), origin),
    hubspot,
    browser: () => (ready(), browser!),
    runtime: () => (ready(), installed),
  };
}
