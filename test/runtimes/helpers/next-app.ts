// Builds and starts the Next.js app (test/runtimes/apps/next) with the packed package for one test file, and the checks its layout's component passes.
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeHubSpot } from '../../../src/testing/index.js';
import { launchChromium } from '../../helpers/browser.js';
import { useFakeHubSpot } from '../../helpers/hubspot.js';
import { ACCESS_TOKEN } from './fetch-apps.js';
import { APPS, installRuntime, note, packPackage, seconds, type InstalledRuntime } from './installs.js';
import { childEnv, freePort, runToEnd, start, stoppedOnFailure, type Started } from './processes.js';
import { excerpt, get, readStreamed, scriptCount, tokenIn, userCookie, widgetIn } from './web-cases.js';

/**
 * Which routes a build holds: the Node.js ones, the Edge ones, or all. (One build of all is the aim; until the
 * package loads on the Edge runtime, the Edge routes fail the build and so are built apart.)
 */
export type NextRoutes = 'node' | 'edge' | 'all';

const EDGE_ONLY = ['app/edge', 'app/html/edge', 'app/hubspot/edge-token'];
const NODE_ONLY = ['app/page.tsx', 'app/streamed', 'app/html/node', 'app/hubspot/token'];
const BUILD_TIMEOUT_MS = 300_000;

/**
 * The app's sources, fresh, in a folder inside the installed Next.js (its node_modules above, physically: Turbopack
 * follows no link out of its root). The folder outlives the run so that Turbopack's cache in .next/cache speeds the next build.
 */
function copySources(runtime: InstalledRuntime, routes: NextRoutes): string {
  const dir = join(runtime.dir, 'apps', routes);
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir)) if (entry !== '.next' && entry !== 'node_modules') rmSync(join(dir, entry), { recursive: true, force: true });
  }
  const source = join(APPS, 'next');
  const left = routes === 'node' ? EDGE_ONLY : routes === 'edge' ? NODE_ONLY : [];
  cpSync(source, dir, { recursive: true, filter: (path) => !left.includes(relative(source, path)) });
  return dir;
}

export interface NextApp {
  origin: () => string;
  hubspot: () => FakeHubSpot;
  browser: () => Browser;
}

/**
 * For the calling test file (or describe): a fake HubSpot, the packed package installed in the Next.js app,
 * one `next build` (the access token set, as an app's build environment has it), `next start`, and Chromium.
 */
export function useNextApp(routes: NextRoutes, { typecheck }: { typecheck: boolean }): NextApp {
  const hubspot = useFakeHubSpot();
  let server: Started | undefined;
  let origin = '';
  let browser: Browser | undefined;
  let packedDir: string | undefined;
  // Kept for each test to throw: every check then fails with what stopped the app (a failed build), not as skipped.
  let failure: unknown;

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = error;
    }
  }, 600_000);

  async function setUp() {
    const [runtime, packed] = await Promise.all([installRuntime('next'), packPackage()]);
    packedDir = packed.dir;
    const dir = copySources(runtime, routes);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { 'hubspot-identify': `file:${packed.tarball}` } }, null, 2));
    const [, installSeconds] = await seconds(() => runToEnd('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: dir, timeoutMs: 180_000 }));
    const env = { NEXT_TELEMETRY_DISABLED: '1', NEXT_TEST_ROOT: '../..', HUBSPOT_ACCESS_TOKEN: ACCESS_TOKEN };
    const [, buildSeconds] = await seconds(() => runToEnd(runtime.bin, [runtime.script!, 'build'], {
      cwd: dir,
      env: childEnv({ ...env, ...(typecheck ? {} : { NEXT_TEST_SKIP_TYPECHECK: '1' }) }),
      timeoutMs: BUILD_TIMEOUT_MS,
    }));
    const port = await freePort();
    const [started, startSeconds] = await seconds(async () => {
      const app = start(runtime.bin, [runtime.script!, 'start', '-H', '127.0.0.1', '-p', String(port)], {
        cwd: dir,
        env: childEnv({ ...env, HUBSPOT_BASE_URL: hubspot().baseUrl, HUBSPOT_LOADER_URL: hubspot().loaderUrl }),
      });
      await stoppedOnFailure(app, app.waitFor(/Ready in/, 60_000));
      return app;
    });
    server = started;
    origin = `http://127.0.0.1:${port}`;
    note(`next (${routes} routes): app installed in ${installSeconds.toFixed(1)} s, built in ${buildSeconds.toFixed(1)} s${typecheck ? ' (type-checked)' : ''}, started in ${startSeconds.toFixed(1)} s`);
    browser = await launchChromium();
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (packedDir) rmSync(packedDir, { recursive: true, force: true });
  });

  const ready = () => {
    if (failure !== undefined) throw failure;
  };
  return { origin: () => (ready(), origin), hubspot, browser: () => (ready(), browser!) };
}

/** The Content-Security-Policy nonce of a response (the app's proxy makes one per request). */
const nonceOf = (response: Response) => /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];

/** The checks of pages rendered under the root layout, which prints `<HubSpotIdentify visitor nonce />` in its head. */
export function layoutComponentCases(app: NextApp, { page, streamed }: { page: string; streamed?: string }): void {
  const url = (path: string) => `${app.origin()}${path}`;

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
    const widget = await widgetIn(app.browser(), url(page), email);
    expect(widget.errors).toEqual([]);
    expect(widget.identified).toBe(email);
    expect(widget.identifiedLoads).toBe(1);
  });
}
