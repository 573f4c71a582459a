// A shared browser's own HTTP cache, in real headless Chromium: a page the app marks public, max-age is never reused for the next visitor of that browser.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import { hubspotIdentify as honoIdentify } from '../adapters/hono/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { launchChromium } from './helpers/browser.js';

let hubspot: FakeHubSpot;
let browser: Browser;

beforeAll(async () => {
  [hubspot, browser] = await Promise.all([startFakeHubSpot(), launchChromium()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await hubspot?.close();
});

const userFromCookie = (cookie: string | null | undefined) => {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(cookie ?? '')?.[1];
  return value ? decodeURIComponent(value) : undefined;
};

const LINK = '<!doctype html><html><head></head><body><a id="go" href="/product">product</a></body></html>';
const PRODUCT = '<!doctype html><html><head><title>product</title></head><body>product page</body></html>';
// What an app does for a page it thinks is the same for everyone.
const PUBLIC = 'public, max-age=600';
const options = () => ({ accessToken: 'pat-browser', baseUrl: hubspot.baseUrl, logger: false as const });

/** Each app: /login?u= and /logout set the session cookie and link to /product, which the app marks public. */
const apps: Record<string, (served: string[]) => Server> = {
  express: (served) => {
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = userFromCookie(req.headers.cookie);
      next();
    });
    app.use(expressIdentify(options()));
    app.get('/login', (req, res) => {
      res.cookie('user', String(req.query['u'])).send(LINK);
    });
    app.get('/logout', (_req, res) => {
      res.clearCookie('user').send(LINK);
    });
    app.get('/product', (req, res) => {
      served.push(String((req as express.Request & { user?: unknown }).user));
      res.set('Cache-Control', PUBLIC).send(PRODUCT);
    });
    return app.listen(0, '127.0.0.1');
  },
  hono: (served) => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user' as never, userFromCookie(c.req.header('cookie')) as never);
      await next();
    });
    app.use(honoIdentify(options()));
    app.get('/login', (c) => c.html(LINK, 200, { 'set-cookie': `user=${encodeURIComponent(c.req.query('u') ?? '')}; Path=/` }));
    app.get('/logout', (c) => c.html(LINK, 200, { 'set-cookie': 'user=; Path=/; Max-Age=0' }));
    app.get('/product', (c) => {
      served.push(String(c.get('user' as never)));
      return c.html(PRODUCT, 200, { 'cache-control': PUBLIC });
    });
    return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  },
};

describe.each(Object.keys(apps))('%s: the browser cache of a shared computer', (name) => {
  it("a shared browser's own cache showed the next visitor the previous visitor's token: after logout and login as Bob, the page comes from the server, as Bob", async () => {
    const served: string[] = [];
    const server = apps[name]!(served);
    await new Promise((resolve) => (server.listening ? resolve(null) : server.once('listening', resolve)));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      const emailOnPage = () =>
        tab.evaluate(
          () => /"identificationEmail":"([^"]+)"/.exec(Array.from(document.scripts, (script) => script.text).join(''))?.[1] ?? null,
        );
      const openProduct = async () => {
        await Promise.all([tab.waitForURL(`${origin}/product`), tab.click('#go')]);
        return emailOnPage();
      };

      await tab.goto(`${origin}/login?u=alice@x.io`);
      expect(await openProduct()).toBe('alice@x.io');
      await tab.goto(`${origin}/logout`);
      await tab.goto(`${origin}/login?u=bob@x.io`);
      expect(await openProduct()).toBe('bob@x.io');
      expect(served).toEqual(['alice@x.io', 'bob@x.io']);
    } finally {
      await context.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
