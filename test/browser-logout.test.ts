// Logout through the marker cookie, in real headless Chromium: the first anonymous page after an identified one resets the widget once; a change of visitor resets before identifying.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import { hubspotIdentify as honoIdentify } from '../adapters/hono/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { launchChromium, userFromCookie } from './helpers/browser.js';

let hubspot: FakeHubSpot;
let browser: Browser;

beforeAll(async () => {
  [hubspot, browser] = await Promise.all([startFakeHubSpot(), launchChromium()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await hubspot?.close();
});
beforeEach(() => hubspot.reset());

// The two load orders: the async loader after our script (/after), or a synchronous loader in <head> that runs before it (/first).
const pages: Record<string, () => string> = {
  '/after': () => `<!doctype html><html><head><title>after</title></head><body>${hubspot.loaderTag}</body></html>`,
  '/first': () => `<!doctype html><html><head><title>first</title><script src="${hubspot.loaderUrl}"></script></head><body></body></html>`,
};

const options = () => ({ accessToken: 'pat-browser', baseUrl: hubspot.baseUrl, logger: false as const });

const apps: Record<string, () => (server: (listener: any) => Server) => Server> = {
  express: () => (listen) => {
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = userFromCookie(req.headers.cookie);
      next();
    });
    app.use(expressIdentify(options()));
    for (const [path, html] of Object.entries(pages))
      app.get(path, (_req, res) => {
        res.send(html());
      });
    return listen(app);
  },
  hono: () => (listen) => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user' as never, userFromCookie(c.req.header('cookie')) as never);
      await next();
    });
    app.use(honoIdentify(options()));
    for (const [path, html] of Object.entries(pages)) app.get(path, (c) => c.html(html()));
    return listen(app.fetch);
  },
};

interface FakeState {
  loads: number;
  clears: number;
  identified: string | null;
}

describe.each(Object.keys(apps))('%s: logout in Chromium', (name) => {
  let server: Server;
  let origin: string;
  let context: BrowserContext;

  beforeAll(async () => {
    server = apps[name]!()((handler) =>
      name === 'hono'
        ? (serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }) as Server)
        : (handler as express.Express).listen(0, '127.0.0.1'),
    );
    await new Promise((resolve) => (server.listening ? resolve(null) : server.once('listening', resolve)));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(async () => {
    context = await browser.newContext();
    return () => context.close();
  });

  const logIn = (email: string) => context.addCookies([{ name: 'user', value: encodeURIComponent(email), url: origin }]);
  const logOut = () => context.addCookies([{ name: 'user', value: '', url: origin }]);
  const chatCookie = async () => (await context.cookies(origin)).find((cookie) => cookie.name === 'messagesUtk')?.value;

  async function visit(path: string) {
    const tab = await context.newPage();
    await tab.goto(`${origin}${path}`);
    await tab.waitForFunction(() => ((window as unknown as { __hubspotFake?: FakeState }).__hubspotFake?.loads ?? 0) >= 1);
    // Give a second clear() a chance to happen, should anything reset twice.
    await tab.waitForTimeout(50);
    const fake = await tab.evaluate(() => (window as unknown as { __hubspotFake: FakeState }).__hubspotFake);
    await tab.close();
    return fake;
  }

  describe.each(Object.keys(pages))('loader %s', (path) => {
    it('login, logout: the next page resets once and renews the chat cookie; the page after does not reset again', async () => {
      await logIn('ada@example.com');
      const identified = await visit(path);
      expect(identified.identified).toBe('ada@example.com');
      expect(identified.clears).toBe(0);
      const adaChat = await chatCookie();
      expect(adaChat).toBeDefined();

      await logOut();
      const loggedOut = await visit(path);
      expect(loggedOut.clears).toBe(1);
      expect(loggedOut.identified).toBeNull();
      const renewed = await chatCookie();
      expect(renewed).toBeDefined();
      expect(renewed).not.toBe(adaChat);

      const after = await visit(path);
      expect(after.clears).toBe(0);
      expect(await chatCookie()).toBe(renewed);
    });

    it('A then B: the widget resets before identifying B, once', async () => {
      await logIn('ada@example.com');
      await visit(path);
      const adaChat = await chatCookie();
      await logIn('bob@example.com');
      const bob = await visit(path);
      expect(bob.clears).toBe(1);
      expect(bob.identified).toBe('bob@example.com');
      expect(await chatCookie()).not.toBe(adaChat);
      const again = await visit(path);
      expect(again.clears).toBe(0);
      expect(again.identified).toBe('bob@example.com');
    });
  });
});
