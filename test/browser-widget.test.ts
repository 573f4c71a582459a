// The widget as the visitor in real Chromium against the faithful fake SDK: every load order, charsets, widget settings, the reset script, and identifyWidget.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotIdentify } from '../adapters/express/index.js';
import { createIdentifier } from '../src/index.js';
import { resetScriptTag, scriptTag } from '../src/html/script.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { launchChromium } from './helpers/browser.js';

interface FakeState {
  loadCalls: number;
  loads: number;
  identifiedLoads: number;
  identified: string | null;
  clears: number;
  settingsAtStart: Record<string, unknown>;
  settingsAtLoad: Record<string, unknown> | null;
  visitorAtLoad: string | null;
}

let hubspot: FakeHubSpot;
let browser: Browser;
let origin: string;
let server: Server;
let context: BrowserContext;
let routeHits = 0;

const userOf = (cookie: string | undefined) => {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(cookie ?? '')?.[1];
  return value ? decodeURIComponent(value) : undefined;
};
const options = (extra: object = {}) => ({ accessToken: 'pat-widget', baseUrl: hubspot.baseUrl, logger: false as const, ...extra });
const sync = () => `<script src="${hubspot.loaderUrl}"></script>`;
const async = () => hubspot.loaderTag;

/** Pages by name: each puts the SDK and the identity script (`S`) in one order. */
const layouts: Record<string, (s: string) => string> = {
  'script before the SDK': (s) => `<head>${s}</head><body>${async()}</body>`,
  'SDK before the script': (s) =>
    `<head><script>window.hsConversationsSettings = { loadImmediately: false };</script>${sync()}</head><body>${s}</body>`,
  'widget already loaded anonymous': (s) => `<head>${sync()}</head><body>${s}</body>`,
  'loader in head, async': (s) => `<head>${async()}${s}</head><body></body>`,
  'double script': (s) => `<head>${s}${s}</head><body>${async()}${s}</body>`,
};

const html = (inner: string) => `<!doctype html><html>${inner.replace('<head>', '<head><meta charset="utf-8">')}</html>`;

beforeAll(async () => {
  [hubspot, browser] = await Promise.all([startFakeHubSpot(), launchChromium()]);
  const app = express();
  app.use((req, _res, next) => {
    const email = userOf(req.headers.cookie);
    (req as express.Request & { user?: unknown }).user = email ? { email } : undefined;
    next();
  });
  const identifier = (extra: object) => {
    const hs = createIdentifier(options(extra));
    return async (req: express.Request) => {
      const email = userOf(req.headers.cookie);
      return email ? hs.identify({ email }) : null;
    };
  };
  const byMode = {
    false: identifier({}),
    true: identifier({ loadImmediately: true }),
    reset: identifier({}),
    widget: identifier({ widget: { disableAttachment: true, inlineEmbedSelector: '#chat' } }),
  };
  app.get('/order/:layout', async (req, res) => {
    const mode = (req.query['mode'] as keyof typeof byMode | undefined) ?? 'false';
    const identity = await byMode[mode](req);
    const tag = !identity ? '' : mode === 'reset' ? scriptTag(identity.settings, null, { resetFirst: true }) : identity.scriptTag;
    res.type('html').send(html(layouts[req.params['layout'] as string]!(tag)));
  });
  app.get('/reset/:layout', (req, res) => {
    res.type('html').send(html(layouts[req.params['layout'] as string]!(resetScriptTag())));
  });
  // Whole bodies as bytes in a declared charset, injected by the middleware.
  const charsetApp = express.Router();
  charsetApp.use(hubspotIdentify(options()));
  charsetApp.get('/:charset', (req, res) => {
    const page = `<!doctype html><html><head><meta charset="${req.params['charset']}"><title>t</title></head><body><div id="chat"></div>${async()}</body></html>`;
    res.set('content-type', `text/html; charset=${req.params['charset']}`).send(Buffer.from(page, 'latin1'));
  });
  app.use('/charset', charsetApp);
  // A client-rendered page: the browser entry as the user's bundle would load it, the route answered by the test.
  app.use('/browser', express.static('dist/esm/src/browser'));
  const hs = createIdentifier(options());
  let expiresIn = 12 * 60 * 60_000;
  app.get('/expires-in/:ms', (req, res) => {
    expiresIn = Number(req.params['ms']);
    res.end();
  });
  app.get('/hubspot/token', async (req, res) => {
    routeHits++;
    const email = userOf(req.headers.cookie);
    const identity = email ? await hs.identify({ email }) : null;
    if (!identity) return void res.status(401).json({ error: 'anonymous' });
    res.set('cache-control', 'no-store').json({ email: identity.email, token: identity.token, expiresAt: Date.now() + expiresIn });
  });
  app.get('/spa', (_req, res) => {
    res
      .type('html')
      .send(
        html(
          `<head><script type="module">import * as hsi from '/browser/index.js'; window.hsi = hsi;</script></head><body>${async()}</body>`,
        ),
      );
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await hubspot?.close();
});

beforeEach(async () => {
  hubspot.reset();
  routeHits = 0;
  context = await browser.newContext();
  return () => context.close();
});

async function login(email: string) {
  await context.addCookies([{ name: 'user', value: encodeURIComponent(email), url: origin }]);
}

const fakeOf = (tab: Page) => tab.evaluate(() => (window as unknown as { __hubspotFake: FakeState }).__hubspotFake);

/** Opens a page and waits until the widget settled (loaded, or its SDK ran with nothing to load). */
/** Loads a page (in a new tab unless given one: each goto is a new document) and waits until the fake widget has `settled`. */
async function open(path: string, settled = 'f.loads >= 1', tab?: Page) {
  tab ??= await context.newPage();
  await tab.goto(`${origin}${path}`);
  await tab.waitForFunction(`(function (f) { return !!f && (${settled}); })(window.__hubspotFake)`);
  // Let any later load() or clear() that should not happen show itself.
  await tab.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
  return tab;
}

describe('the server-rendered script, in every load order', () => {
  it.each(Object.keys(layouts))('%s: the widget loads once as the visitor', async (layout) => {
    await login('ada@example.com');
    const fake = await fakeOf(await open(`/order/${encodeURIComponent(layout)}`, 'f.identified !== null'));
    expect(fake.identified).toBe('ada@example.com');
    expect(fake.identifiedLoads).toBe(1);
    expect(fake.settingsAtLoad!['identificationEmail']).toBe('ada@example.com');
    if (layout === 'widget already loaded anonymous') expect(fake.loads).toBe(2);
    else expect(fake.loadCalls).toBe(1);
  });

  it.each(['script before the SDK', 'widget already loaded anonymous'])(
    'loadImmediately true, %s: the loader loads, identified once',
    async (layout) => {
      await login('ada@example.com');
      const fake = await fakeOf(await open(`/order/${encodeURIComponent(layout)}?mode=true`, 'f.identified !== null'));
      expect(fake.identifiedLoads).toBe(1);
      expect(fake.settingsAtLoad!['loadImmediately']).toBe(true);
      if (layout === 'script before the SDK') expect(fake.loadCalls).toBe(1);
    },
  );

  it('an anonymous page is left alone', async () => {
    const fake = await fakeOf(await open('/order/script%20before%20the%20SDK'));
    expect(fake.identified).toBeNull();
    expect(fake.settingsAtStart).toEqual({});
    expect(hubspot.calls).toHaveLength(0);
  });

  it('the widget option reaches the SDK with the identity', async () => {
    await login('ada@example.com');
    const fake = await fakeOf(await open('/order/script%20before%20the%20SDK?mode=widget', 'f.identified !== null'));
    expect(fake.settingsAtStart).toMatchObject({
      disableAttachment: true,
      inlineEmbedSelector: '#chat',
      identificationEmail: 'ada@example.com',
    });
    expect(fake.settingsAtLoad).toMatchObject({ disableAttachment: true, inlineEmbedSelector: '#chat' });
  });

  it.each(['script before the SDK', 'SDK before the script', 'widget already loaded anonymous'])(
    'a change of visitor, %s: clears once, then loads as the new one',
    async (layout) => {
      await login('bob@example.com');
      const fake = await fakeOf(await open(`/order/${encodeURIComponent(layout)}?mode=reset`, 'f.identified !== null'));
      expect(fake.clears).toBe(1);
      expect(fake.identified).toBe('bob@example.com');
    },
  );
});

describe('the reset script', () => {
  it.each(['script before the SDK', 'SDK before the script', 'widget already loaded anonymous', 'double script'])(
    '%s: clear({ resetWidget: true }) exactly once, the chat cookie renewed',
    async (layout) => {
      await context.addCookies([{ name: 'messagesUtk', value: 'previous-visitor', url: origin }]);
      const fake = await fakeOf(await open(`/reset/${encodeURIComponent(layout)}`, 'f.clears >= 1'));
      expect(fake.clears).toBe(1);
      const cookies = await context.cookies(origin);
      expect(cookies.find((c) => c.name === 'messagesUtk')?.value).not.toBe('previous-visitor');
    },
  );
});

describe('pages in other charsets', () => {
  const emails = ['\u00c1"}})-(window.__pwned=1)//@x.io', 'jos\u00e9@x.io', '\u7530\u4e2d@x.io', '\uae40@x.io', '\ud83d\ude80@x.io'];
  it.each(['shift_jis', 'gbk', 'euc-kr', 'big5', 'iso-8859-1', 'windows-1252', 'utf-8'])(
    '%s: every email arrives exact, nothing runs',
    async (charset) => {
      const tab = await context.newPage();
      for (const email of emails) {
        await context.clearCookies();
        await login(email);
        await open(`/charset/${charset}`, 'f.loads >= 1', tab);
        const result = await tab.evaluate(() => ({
          email: (window as unknown as { hsConversationsSettings?: { identificationEmail?: string } }).hsConversationsSettings
            ?.identificationEmail,
          pwned: (window as unknown as { __pwned?: unknown }).__pwned,
          charset: document.characterSet,
        }));
        expect(result, email).toMatchObject({ email, pwned: undefined });
      }
      await tab.close();
    },
  );
});

describe('identifyWidget on a client-rendered page', () => {
  type Hsi = { identifyWidget(o?: object): Promise<{ email: string } | null>; resetWidget(): void };

  async function spa() {
    const tab = await context.newPage();
    await tab.goto(`${origin}/spa`);
    await tab.waitForFunction(() => 'hsi' in window && '__hubspotFake' in window);
    return tab;
  }

  it('login identifies the widget once; a 401 after it resets; a new login identifies with no second reset', async () => {
    await login('ada@example.com');
    const tab = await spa();
    const identity = await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    expect(identity?.email).toBe('ada@example.com');
    let fake = await fakeOf(tab);
    expect(fake).toMatchObject({ identified: 'ada@example.com', identifiedLoads: 1, clears: 0 });

    await context.clearCookies({ name: 'user' });
    expect(await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget())).toBeNull();
    fake = await fakeOf(tab);
    expect(fake.clears).toBe(1);
    expect(await tab.evaluate(() => (window as unknown as { hsConversationsSettings: object }).hsConversationsSettings)).toEqual({
      loadImmediately: false,
    });

    await login('bob@example.com');
    await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    fake = await fakeOf(tab);
    expect(fake.identified).toBe('bob@example.com');
    expect(fake.clears).toBe(1);
  });

  it('a different visitor in the same browser resets before identifying, across page loads', async () => {
    await login('ada@example.com');
    await (await spa()).evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    await login('bob@example.com');
    const tab = await spa();
    await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    const fake = await fakeOf(tab);
    expect(fake).toMatchObject({ identified: 'bob@example.com', clears: 1 });
  });

  it('kate@x.io then \\u212Aate@x.io (KELVIN SIGN) in one browser are two visitors, as the server keys them: the second resets first', async () => {
    await login('kate@x.io');
    await (await spa()).evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    await login('\u212Aate@x.io');
    const tab = await spa();
    await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    expect(await fakeOf(tab)).toMatchObject({ identified: '\u212Aate@x.io', identifiedLoads: 1, clears: 1 });
  });

  it('the same mailbox written with other ASCII case or spaces is the same visitor: no reset', async () => {
    await login('kate@x.io');
    await (await spa()).evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    await login(' KATE@X.io ');
    const tab = await spa();
    await tab.evaluate(() => (window as unknown as { hsi: Hsi }).hsi.identifyWidget());
    expect(await fakeOf(tab)).toMatchObject({ identifiedLoads: 1, clears: 0 });
  });

  it('fetches again before expiresAt under an injected clock, without reloading the widget', async () => {
    await login('ada@example.com');
    await fetch(`${origin}/expires-in/${10 * 60_000}`);
    const tab = await spa();
    const result = await tab.evaluate(async () => {
      const timers: Array<{ fn: () => void; ms: number }> = [];
      const clock = {
        now: () => Date.now(),
        setTimeout: (fn: () => void, ms: number) => timers.push({ fn, ms }),
        clearTimeout: () => undefined,
      };
      const hsi = (window as unknown as { hsi: Hsi }).hsi;
      await hsi.identifyWidget({ clock });
      const scheduled = timers[0]!.ms;
      timers[0]!.fn();
      await new Promise((resolve) => {
        const wait = () => (timers.length > 1 ? resolve(null) : setTimeout(wait, 5));
        wait();
      });
      return { scheduled, next: timers[1]!.ms };
    });
    await fetch(`${origin}/expires-in/${12 * 60 * 60_000}`);
    // expiresAt 10 minutes ahead, refreshed 5 minutes before it: about 5 minutes from now, each time.
    expect(result.scheduled).toBeGreaterThan(4 * 60_000);
    expect(result.scheduled).toBeLessThanOrEqual(5 * 60_000);
    expect(result.next).toBeGreaterThan(4 * 60_000);
    expect(routeHits).toBe(2);
    const fake = await fakeOf(tab);
    expect(fake.identifiedLoads).toBe(1);
  });

  it('ignores a stale answer that arrives after a newer one', async () => {
    const tab = await spa();
    const result = await tab.evaluate(async () => {
      const answer = (email: string) =>
        new Response(JSON.stringify({ email, token: 'unknown-' + email, expiresAt: Date.now() + 3_600_000 }), {
          headers: { 'content-type': 'application/json' },
        });
      let releaseOld: () => void = () => undefined;
      const slow = () =>
        new Promise<Response>((resolve) => {
          releaseOld = () => resolve(answer('old@x.io'));
        });
      const fast = () => Promise.resolve(answer('new@x.io'));
      const hsi = (window as unknown as { hsi: Hsi }).hsi;
      const older = hsi.identifyWidget({ fetch: slow });
      const newer = await hsi.identifyWidget({ fetch: fast });
      releaseOld();
      const stale = await older;
      return {
        newer: newer?.email,
        stale: stale?.email,
        email: (window as unknown as { hsConversationsSettings: { identificationEmail: string } }).hsConversationsSettings
          .identificationEmail,
      };
    });
    expect(result).toEqual({ newer: 'new@x.io', stale: 'new@x.io', email: 'new@x.io' });
  });
});
