// Builds the Next.js app (test/runtimes/apps/next) with the packed package once, starts it for one test file, and the checks its layout's component passes.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeHubSpot } from '../../../src/testing/index.js';
import { useFakeHubSpot } from '../../helpers/hubspot.js';
import { useChromiumTab } from './chromium.js';
import { ACCESS_TOKEN } from './fetch-apps.js';
import { APPS, installPackage, installRuntime, note, packedPackage, seconds, type InstalledRuntime } from './installs.js';
import { childEnv, freePort, runToEnd, start, stoppedOnFailure, type Started } from './processes.js';
import { excerpt, get, readStreamed, scriptCount, tokenIn, userCookie, waitForApp, widgetIn } from './web-cases.js';

const BUILD_TIMEOUT_MS = 300_000;
// Which package the app's node_modules holds: its install is skipped while the tarball is the same.
const INSTALLED_TARBALL = '.installed-tarball';

/**
 * The app's sources, fresh, in a folder inside the installed Next.js (its node_modules above, physically: Turbopack
 * follows no link out of its root), with the packed package installed. The folder outlives the run so that
 * Turbopack's cache in .next/cache, and the install, serve the next run.
 */
async function appFolder(runtime: InstalledRuntime, tarball: string): Promise<{ dir: string; installSeconds: number }> {
  const dir = join(runtime.dir, 'apps', 'next');
  const kept = new Set(['.next', 'node_modules', 'package.json', INSTALLED_TARBALL]);
  if (existsSync(dir))
    for (const entry of readdirSync(dir)) if (!kept.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  cpSync(join(APPS, 'next'), dir, { recursive: true });
  const marker = join(dir, INSTALLED_TARBALL);
  if (existsSync(marker) && readFileSync(marker, 'utf8') === tarball) return { dir, installSeconds: 0 };
  rmSync(marker, { force: true });
  const [, installSeconds] = await seconds(() => installPackage(dir, tarball));
  writeFileSync(marker, tarball);
  return { dir, installSeconds };
}

export interface NextApp {
  /** Resolves once the app is up, or its build or start failed (each check then throws why, rather than being skipped). */
  ready: () => Promise<void>;
  origin: () => string;
  hubspot: () => FakeHubSpot;
  tab: () => Promise<Page>;
}

/**
 * For the calling test file: a fake HubSpot, the packed package installed in the Next.js app, one `next build` of
 * all its routes (Node.js and Edge runtimes), `next start`, and the file's Chromium. The build type-checks the app
 * against the package's types (3 s of a 7 s build; nothing else checks a user's code against /react's types), and
 * runs without the access token, as a build environment that does not hold the app's secrets: the app defers it to
 * its requests.
 */
export function useNextApp(): NextApp {
  const hubspot = useFakeHubSpot();
  const openTab = useChromiumTab();
  let server: Started | undefined;
  let origin = '';
  let settingUp: Promise<void> | undefined;
  let failure: unknown;

  async function setUp() {
    void openTab();
    const [runtime, tarball] = await Promise.all([installRuntime('next'), packedPackage()]);
    const { dir, installSeconds } = await appFolder(runtime, tarball);
    const env = { NEXT_TELEMETRY_DISABLED: '1', NEXT_TEST_ROOT: '../..' };
    const [, buildSeconds] = await seconds(() =>
      runToEnd(runtime.bin, [runtime.script!, 'build'], {
        cwd: dir,
        env: childEnv({ ...env, HUBSPOT_ACCESS_TOKEN: undefined }),
        timeoutMs: BUILD_TIMEOUT_MS,
      }),
    );
    const port = await freePort();
    const [started, startSeconds] = await seconds(async () => {
      const app = start(runtime.bin, [runtime.script!, 'start', '-H', '127.0.0.1', '-p', String(port)], {
        cwd: dir,
        env: childEnv({
          ...env,
          HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN,
          HUBSPOT_BASE_URL: hubspot().baseUrl,
          HUBSPOT_LOADER_URL: hubspot().loaderUrl,
        }),
      });
      await stoppedOnFailure(app, app.waitFor(/Ready in/, 60_000));
      return app;
    });
    server = started;
    origin = `http://127.0.0.1:${port}`;
    note(
      `next: app ${installSeconds > 0 ? `installed in ${installSeconds.toFixed(1)} s` : 'installed already'}, built in ${buildSeconds.toFixed(1)} s, started in ${startSeconds.toFixed(1)} s`,
    );
  }

  // Not awaited here: each describe's cases wait for it (waitForApp).
  beforeAll(() => {
    settingUp = setUp().catch((error: unknown) => {
      failure = error;
    });
  });

  afterAll(async () => {
    await settingUp;
    await server?.stop();
  });

  const ready = () => {
    if (failure !== undefined) throw failure;
  };
  return {
    ready: async () => {
      await settingUp;
    },
    origin: () => (ready(), origin),
    hubspot,
    tab: () => (ready(), openTab()),
  };
}

/** The Content-Security-Policy nonce of a response (the app's proxy makes one per request). */
const nonceOf = (response: Response) => /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];

/** The checks of pages rendered under the root layout, which prints `<HubSpotIdentify visitor nonce />` in its head. */
export function layoutComponentCases(app: NextApp, { page, streamed }: { page: string; streamed?: string }): void {
  const url = (path: string) => `${app.origin()}${path}`;
  waitForApp(app);

  it("a signed-in visitor's page carries one script, with the marker attribute and the request's nonce, and a token minted for them", async () => {
    const email = 'layout@example.com';
    const response = await get(url(page), { cookie: userCookie(email) });
    const html = await response.text();
    expect(response.status, excerpt(html)).toBe(200);
    expect(scriptCount(html)).toBe(1);
    const nonce = nonceOf(response);
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script data-hubspot-identify="" nonce="${nonce}">`);
    expect(app.hubspot().tokens.get(tokenIn(html)!)).toBe(email);
    // React wrote the body as given: still pure ASCII, nothing escaped twice.
    expect(html).toMatch(/"identificationEmail":"layout@example.com"/);
    expect(html.indexOf('<script data-hubspot-identify')).toBeLessThan(html.indexOf('</head>'));
  });

  it("an anonymous visitor's page carries no script and no cookie of ours", async () => {
    const response = await get(url(page));
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(scriptCount(html)).toBe(0);
    expect(response.headers.getSetCookie().filter((cookie) => cookie.startsWith('hsi_v='))).toEqual([]);
  });

  if (streamed) {
    it('a streamed page (Suspense) sends the script with the shell, before the suspended part', async () => {
      const email = 'suspense@example.com';
      const response = await get(url(streamed), { cookie: userCookie(email), headers: { 'accept-encoding': 'identity' } });
      expect(response.status).toBe(200);
      const { text, earlyFirst } = await readStreamed(response, 'data-hubspot-identify', 'late content');
      expect(earlyFirst, excerpt(text)).toBe(true);
      expect(scriptCount(text)).toBe(1);
      expect(app.hubspot().tokens.get(tokenIn(text)!)).toBe(email);
    });
  }

  it('in Chromium, under a nonce CSP and with React hoisting the async loader above it, the widget is told who the visitor is', async () => {
    const email = 'chromium-layout@example.com';
    const widget = await widgetIn(await app.tab(), url(page), email);
    expect(widget.errors).toEqual([]);
    expect(widget.identified).toBe(email);
    expect(widget.identifiedLoads).toBe(1);
  });
}
