// Starts the fetch app (test/runtimes/apps/fetch) on a runtime for a test file: Node.js, Bun, Deno, or workerd through wrangler dev.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { FakeHubSpot } from '../../../src/testing/index.js';
import { useFakeHubSpot } from '../../helpers/hubspot.js';
import { useChromiumTab } from './chromium.js';
import { installedApp, installRuntime, note, seconds, type InstalledRuntime } from './installs.js';
import { childEnv, freePort, start, stoppedOnFailure, type Started } from './processes.js';

export const ACCESS_TOKEN = 'test-access-token';
const START_TIMEOUT_MS = 60_000;

export type FetchRuntime = 'node' | 'bun' | 'deno' | { wrangler: string };

const nameOf = (runtime: FetchRuntime) => (typeof runtime === 'string' ? runtime : `wrangler dev -c ${runtime.wrangler}`);

// The version of @hono/node-server the repository's own tests use.
const NODE_SERVER = '2.1.9';

/** One install serves every runtime: Node.js's server beside the package, and the Worker's secret in .dev.vars (wrangler dev reads it). */
const FETCH_APP_INSTALL = {
  dependencies: { '@hono/node-server': NODE_SERVER },
  files: { '.dev.vars': `HUBSPOT_ACCESS_TOKEN=${ACCESS_TOKEN}\n` },
};

async function launch(
  runtime: FetchRuntime,
  installed: InstalledRuntime | undefined,
  dir: string,
  hubspot: FakeHubSpot,
): Promise<{ app: Started; origin: string; scratch?: string }> {
  const env = { HUBSPOT_BASE_URL: hubspot.baseUrl, HUBSPOT_LOADER_URL: hubspot.loaderUrl };
  if (runtime === 'node' || runtime === 'bun' || runtime === 'deno') {
    const processEnv = childEnv({ ...env, PORT: '0', HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' });
    const app =
      runtime === 'node'
        ? start(process.execPath, ['node.mjs'], { cwd: dir, env: processEnv })
        : runtime === 'bun'
          ? start(installed!.bin, ['bun.ts'], { cwd: dir, env: processEnv })
          : // The fewest permissions the app needs: loopback sockets and its four variables.
            start(
              installed!.bin,
              ['run', '--allow-net=127.0.0.1', '--allow-env=HUBSPOT_ACCESS_TOKEN,HUBSPOT_BASE_URL,HUBSPOT_LOADER_URL,PORT', 'deno.ts'],
              { cwd: dir, env: processEnv },
            );
    const origin = (await stoppedOnFailure(app, app.waitFor(/listening on (http:\/\/[\d.:]+)/, START_TIMEOUT_MS)))[1]!;
    return { app, origin };
  }
  // wrangler's own files (logs, settings, local state) go to a folder of this launch: the app's folder is shared.
  const scratch = mkdtempSync(join(tmpdir(), 'hsi-wrangler-'));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const app = start(
    installed!.bin,
    [
      installed!.script!,
      'dev',
      '-c',
      runtime.wrangler,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(scratch, 'state'),
      '--var',
      `HUBSPOT_BASE_URL:${env.HUBSPOT_BASE_URL}`,
      '--var',
      `HUBSPOT_LOADER_URL:${env.HUBSPOT_LOADER_URL}`,
    ],
    {
      cwd: dir,
      env: childEnv({
        CI: 'true',
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_LOG_PATH: join(scratch, 'logs'),
        XDG_CONFIG_HOME: join(scratch, 'config'),
      }),
    },
  );
  const ready = await stoppedOnFailure(
    app,
    app.waitFor(/Ready on (http:\/\/[\d.:]+)|The Workers runtime failed to start|✘ \[ERROR\]/, START_TIMEOUT_MS),
  );
  if (!ready[1]) {
    // Let it finish saying why.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await app.stop();
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`wrangler dev -c ${runtime.wrangler} did not start the Worker:\n${app.output()}`);
  }
  return { app, origin: ready[1], scratch };
}

export interface FetchApp {
  /** Resolves once the app is up, or its set-up failed (each check then throws why, rather than being skipped). */
  ready: () => Promise<void>;
  origin: () => string;
  hubspot: () => FakeHubSpot;
  tab: () => Promise<Page>;
  runtime: () => InstalledRuntime | undefined;
}

/**
 * For the calling test file: a fake HubSpot, the packed package installed in the fetch app, the app started on the
 * runtime (installed first when missing), and the file's Chromium. Call it at the file's top level: the set-ups of
 * a file's apps then run side by side, and each describe's cases wait for their own (webEntryCases does). All
 * stopped in afterAll.
 */
export function useFetchApp(runtime: FetchRuntime): FetchApp {
  const hubspot = useFakeHubSpot();
  const openTab = useChromiumTab();
  let installed: InstalledRuntime | undefined;
  let started: { app: Started; origin: string; scratch?: string } | undefined;
  let settingUp: Promise<void> | undefined;
  let failure: unknown;

  async function setUp() {
    void openTab();
    const [runtimeInstalled, { dir, installSeconds }] = await Promise.all([
      runtime === 'node' ? Promise.resolve(undefined) : installRuntime(typeof runtime === 'string' ? runtime : 'wrangler'),
      installedApp('fetch', FETCH_APP_INSTALL),
    ]);
    installed = runtimeInstalled;
    const [launched, startSeconds] = await seconds(() => launch(runtime, installed, dir, hubspot()));
    started = launched;
    note(
      `${nameOf(runtime)}: app ${installSeconds > 0 ? `installed in ${installSeconds.toFixed(1)} s` : 'installed already'}, started in ${startSeconds.toFixed(1)} s`,
    );
  }

  // Not awaited here: the next app's set-up starts at once.
  beforeAll(() => {
    settingUp = setUp().catch((error: unknown) => {
      failure = error;
    });
  });

  afterAll(async () => {
    await settingUp;
    await started?.app.stop();
    if (started?.scratch) rmSync(started.scratch, { recursive: true, force: true });
  });

  const ready = () => {
    if (failure !== undefined) throw failure;
  };
  return {
    ready: async () => {
      await settingUp;
    },
    origin: () => (ready(), started!.origin),
    hubspot,
    tab: () => (ready(), openTab()),
    runtime: () => (ready(), installed),
  };
}
