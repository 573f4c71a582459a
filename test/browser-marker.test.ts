// The logout marker in real headless Chromium through the Express and Koa middleware: a marker a sibling subdomain plants for the parent domain resets the widget at most once.
import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import { hubspotIdentify as koaIdentify } from '../adapters/koa/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { HSI_TEST_HOSTS, launchChromium, serveOnLoopback, userFromCookie, type LoopbackServer } from './helpers/browser.js';

// Both names resolve to this machine; hsi.test is a registrable domain, so b.hsi.test may set cookies for all of it.
const APP = 'app.hsi.test';
const SIBLING = 'b.hsi.test';
// Shaped like a real marker (22 base64url characters), so only the tombstone can stop it counting.
const PLANTED = 'PLANTEDplantedPLANTED0';
const EMAIL = 'ada@example.com';

let hubspot: FakeHubSpot;
let browser: Browser;
let sibling: LoopbackServer;

const options = () => ({ accessToken: 'pat-marker', baseUrl: hubspot.baseUrl, logger: false as const });
const page = () => `<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>${hubspot.loaderTag}</body></html>`;

// Each app puts its logged-in user (from the `user` cookie) where its framework keeps it: the middleware runs on its defaults.
const frameworks: Record<string, () => RequestListener> = {
  express: () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = userFromCookie(req.headers.cookie);
      next();
    });
    app.use(expressIdentify(options()));
    app.get('/page', (_req, res) => {
      res.send(page());
    });
    return app;
  },
  koa: () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state['user'] = userFromCookie(ctx.get('cookie'));
      await next();
    });
    app.use(koaIdentify(options()));
    app.use((ctx) => {
      if (ctx.path !== '/page') return;
      ctx.type = 'html';
      ctx.body = page();
    });
    return app.callback();
  },
};

/** The sibling subdomain: /plant/<value> sets hsi_v for the whole parent domain; nothing else (a favicon would plant an empty value). */
const plantingSibling: RequestListener = (req, res) => {
  const value = /^\/plant\/(.+)$/.exec(req.url ?? '')?.[1];
  if (value === undefined) return void res.writeHead(404).end();
  res.setHeader('Set-Cookie', `hsi_v=${decodeURIComponent(value)}; Domain=hsi.test; Path=/; Max-Age=31536000`);
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>sibling</title>');
};

beforeAll(async () => {
  [hubspot, browser, sibling] = await Promise.all([startFakeHubSpot(), launchChromium([HSI_TEST_HOSTS]), serveOnLoopback(plantingSibling)]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await sibling?.close();
  await hubspot?.close();
});

interface FakeState {
  loads: number;
  clears: number;
  identified: string | null;
}

describe.each(Object.keys(frameworks))('%s', (framework) => {
  let app: LoopbackServer;
  beforeAll(async () => {
    app = await serveOnLoopback(frameworks[framework]!());
  });
  afterAll(() => app?.close());

  // One browser profile and one tab per app; each test starts from a browser with no cookies at all.
  let context: BrowserContext;
  let tab: Page;
  beforeAll(async () => {
    context = await browser.newContext();
    tab = await context.newPage();
  });
  afterAll(() => context?.close());
  beforeEach(async () => {
    hubspot.reset();
    await context.clearCookies();
  });

  const appOrigin = () => `http://${APP}:${app.port}`;
  const plant = async (value: string) => {
    await tab.goto(`http://${SIBLING}:${sibling.port}/plant/${encodeURIComponent(value)}`);
  };
  const logIn = () => context.addCookies([{ name: 'user', value: encodeURIComponent(EMAIL), url: appOrigin() }]);
  const logOut = () => context.addCookies([{ name: 'user', value: '', url: appOrigin() }]);

  /** Loads the app's page and says what the widget did there: its resets (clear({ resetWidget: true })), and as whom it loaded. */
  async function visit(): Promise<FakeState> {
    await tab.goto(`${appOrigin()}/page`);
    // Waited for in the page, in one round trip: the widget loaded, then 50 ms for a second clear(), should anything reset twice.
    return tab.evaluate(
      () =>
        new Promise<FakeState>((resolve) => {
          const settled = () => {
            const fake = (window as unknown as { __hubspotFake?: FakeState }).__hubspotFake;
            if (fake && fake.loads >= 1) setTimeout(() => resolve(fake), 50);
            else setTimeout(settled, 10);
          };
          settled();
        }),
    );
  }
  /** The resets on each of `count` page loads. */
  async function resetsOver(count: number): Promise<number[]> {
    const resets: number[] = [];
    for (let i = 0; i < count; i++) resets.push((await visit()).clears);
    return resets;
  }
  const markerCookies = async () => (await context.cookies(appOrigin())).filter((cookie) => cookie.name === 'hsi_v');

  it('a planted marker resets the widget once over 4 anonymous page loads, though the browser keeps sending it', async () => {
    await plant(PLANTED);
    expect(await resetsOver(4)).toEqual([1, 0, 0, 0]);
    // The planted cookie is still there (this host cannot remove it); a host-only tombstone beside it covers it.
    expect(await markerCookies()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: '.hsi.test', value: PLANTED }),
        expect.objectContaining({ domain: APP, value: `~${PLANTED.slice(0, 8)}` }),
      ]),
    );
  });

  it('log in, a marker planted meanwhile, log out, 4 anonymous pages: the widget is reset exactly once, at the logout', async () => {
    await logIn();
    const identified = [await visit()];
    await plant(PLANTED);
    identified.push(await visit());
    expect(identified.map((fake) => [fake.identified, fake.clears])).toEqual([
      [EMAIL, 0],
      [EMAIL, 0],
    ]);
    await logOut();
    expect(await resetsOver(4)).toEqual([1, 0, 0, 0]);
  });

  it('planted before the first login: it costs one reset, on the login page, and each logout after resets once', async () => {
    await plant(PLANTED);
    await logIn();
    // The browser's cookies cannot say who set an hsi_v, so the login page resets the widget before identifying.
    const first = await visit();
    expect([first.identified, first.clears]).toEqual([EMAIL, 1]);
    expect((await visit()).clears).toBe(0);
    await logOut();
    expect(await resetsOver(2)).toEqual([1, 0]);
    await logIn();
    expect((await visit()).clears).toBe(0);
    await logOut();
    expect((await visit()).clears).toBe(1);
  });

  // What a planted value is worth is decided in the core, whatever the adapter: these run once, on the first.
  if (framework !== Object.keys(frameworks)[0]) return;

  it('a malformed planted value never resets, and a login beside it identifies without a reset', async () => {
    await plant('not-a-marker');
    expect(await resetsOver(2)).toEqual([0, 0]);
    await logIn();
    const identified = await visit();
    expect([identified.identified, identified.clears]).toEqual([EMAIL, 0]);
  });

  it("a tombstone planted for the parent domain does not suppress the reset of the visitor's real marker", async () => {
    await logIn();
    expect((await visit()).identified).toBe(EMAIL);
    await plant(`~${PLANTED.slice(0, 8)}.AAAAAAAA`);
    await logOut();
    expect(await resetsOver(2)).toEqual([1, 0]);
  });
});
