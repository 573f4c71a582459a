// What the widget receives, in real headless Chromium, for each framework (Hono and a wrapped fetch handler through @hono/node-server).
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import Koa from 'koa';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import fastifyIdentify from '../adapters/fastify/index.js';
import { withHubSpotIdentify } from '../adapters/fetch/index.js';
import { hubspotIdentify as honoIdentify } from '../adapters/hono/index.js';
import { hubspotIdentify as koaIdentify } from '../adapters/koa/index.js';
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

/** The page: its own settings in <head>, a strict CSP nonce on every script, the fake loader at the end. */
function page(nonce: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>browser test</title>
<script nonce="${nonce}">window.hsConversationsSettings = { inlineEmbedSelector: '#chat' };
window.violations = []; document.addEventListener('securitypolicyviolation', function (e) { window.violations.push(e.violatedDirective); });</script>
</head><body><div id="chat"></div>
${hubspot.loaderTag.replace('<script ', `<script nonce="${nonce}" `)}
</body></html>`;
}

const csp = (nonce: string) => `default-src 'self'; script-src 'nonce-${nonce}'; connect-src 'self'; style-src 'unsafe-inline'`;
const nonceNew = () => randomBytes(16).toString('base64');
const options = () => ({ accessToken: 'pat-browser', baseUrl: hubspot.baseUrl, logger: false as const });

const frameworks: Record<string, () => Promise<Server>> = {
  express: async () => {
    const app = express();
    app.use((req, res, next) => {
      (req as express.Request & { user?: unknown }).user = userFromCookie(req.headers.cookie);
      res.locals['cspNonce'] = nonceNew();
      next();
    });
    app.use(expressIdentify(options()));
    app.get('/page', (_req, res) => {
      const nonce = res.locals['cspNonce'] as string;
      res.set('Content-Security-Policy', csp(nonce)).send(page(nonce));
    });
    return app.listen(0, '127.0.0.1');
  },
  koa: async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state['user'] = userFromCookie(ctx.get('cookie'));
      ctx.state['cspNonce'] = nonceNew();
      await next();
    });
    app.use(koaIdentify(options()));
    app.use((ctx) => {
      ctx.set('Content-Security-Policy', csp(ctx.state['cspNonce']));
      ctx.body = page(ctx.state['cspNonce']);
    });
    return app.listen(0, '127.0.0.1');
  },
  fastify: async () => {
    const app = Fastify();
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request, reply) => {
      (request as { user?: unknown }).user = userFromCookie(request.headers.cookie);
      (reply as unknown as { cspNonce: { script: string } }).cspNonce = { script: nonceNew() };
    });
    await app.register(fastifyIdentify, options());
    app.get('/page', (_request, reply) => {
      const nonce = (reply as unknown as { cspNonce: { script: string } }).cspNonce.script;
      return reply.type('text/html').header('content-security-policy', csp(nonce)).send(page(nonce));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  },
  hono: async () => {
    const app = new Hono();
    app.use(
      secureHeaders({
        contentSecurityPolicy: { defaultSrc: ["'self'"], scriptSrc: [NONCE], connectSrc: ["'self'"], styleSrc: ["'unsafe-inline'"] },
      }),
    );
    app.use(async (c, next) => {
      c.set('user' as never, userFromCookie(c.req.header('cookie')) as never);
      await next();
    });
    app.use(honoIdentify(options()));
    app.get('/page', (c) => c.html(page(c.get('secureHeadersNonce') as string)));
    return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  },
  fetch: async () => {
    // A bare handler that makes its own nonce and passes it to the wrapper in a request header, as Next.js middleware does.
    const handler = (request: Request) => {
      const nonce = request.headers.get('x-nonce')!;
      return new Response(page(nonce), { headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp(nonce) } });
    };
    const wrapped = withHubSpotIdentify(handler, {
      ...options(),
      visitor: (request) => userFromCookie(request.headers.get('cookie')),
      nonce: (request) => request.headers.get('x-nonce'),
    });
    const withNonce = (request: Request) => {
      const headers = new Headers(request.headers);
      headers.set('x-nonce', nonceNew());
      return wrapped(new Request(request, { headers }));
    };
    return serve({ fetch: withNonce, port: 0, hostname: '127.0.0.1' }) as Server;
  },
};

interface FakeState {
  loads: number;
  cleared: number;
  identified: string | null;
  settingsAtStart: Record<string, unknown>;
  settingsAtLoad: Record<string, unknown> | null;
  visitorAtLoad: string | null;
}

describe.each(Object.keys(frameworks))('%s in Chromium', (name) => {
  let server: Server;
  let origin: string;
  let context: BrowserContext;

  beforeAll(async () => {
    server = await frameworks[name]!();
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

  async function visit(email?: string) {
    if (email) await context.addCookies([{ name: 'user', value: encodeURIComponent(email), url: origin }]);
    const tab = await context.newPage();
    await tab.goto(`${origin}/page`);
    await tab.waitForFunction(() => (window as unknown as { __hubspotFake?: { loads: number } }).__hubspotFake?.loads === 1);
    // Give a second load() a chance to happen, should anything call it twice.
    await tab.waitForTimeout(50);
    const state = await tab.evaluate(() => ({
      fake: (window as unknown as { __hubspotFake: FakeState }).__hubspotFake,
      pwned: (window as unknown as { pwned?: unknown }).pwned,
      violations: (window as unknown as { violations: string[] }).violations,
      badge: document.getElementById('hubspot-fake-widget')?.textContent ?? null,
    }));
    return { tab, ...state };
  }

  it('a logged-in page gives the loader the email and token before it runs; widget.load() runs once', async () => {
    const { fake, badge, violations } = await visit('ada@example.com');
    expect(fake.settingsAtStart).toMatchObject({ identificationEmail: 'ada@example.com', loadImmediately: false });
    expect(hubspot.tokens.get(fake.settingsAtStart['identificationToken'] as string)).toBe('ada@example.com');
    expect(fake.loads).toBe(1);
    expect(fake.identified).toBe('ada@example.com');
    expect(badge).toBe('Chat: identified as ada@example.com');
    expect(violations).toEqual([]);
  });

  it('an anonymous page gets no identification', async () => {
    const { fake, badge } = await visit();
    expect(fake.settingsAtStart).toEqual({ inlineEmbedSelector: '#chat' });
    expect(fake.identified).toBeNull();
    expect(badge).toBe('Chat: unknown visitor');
    expect(hubspot.calls).toHaveLength(0);
  });

  it('a hostile email executes nothing and arrives intact', async () => {
    const email = '"</script><script>window.pwned=1</script>"@x.io';
    const { fake, pwned, violations } = await visit(email);
    expect(pwned).toBeUndefined();
    expect(fake.settingsAtLoad!['identificationEmail']).toBe(email);
    expect(fake.identified).toBe(email);
    expect(violations).toEqual([]);
  });

  it("keeps the page's own hsConversationsSettings", async () => {
    const { fake } = await visit('ada@example.com');
    expect(fake.settingsAtStart['inlineEmbedSelector']).toBe('#chat');
    expect(fake.settingsAtLoad!['inlineEmbedSelector']).toBe('#chat');
  });

  it('runs under a strict CSP through the nonce, with no violation', async () => {
    const { tab, violations } = await visit('ada@example.com');
    const nonces = await tab.evaluate(() =>
      Array.from(document.scripts).map((s) => ({ marked: s.hasAttribute('data-hubspot-identify'), nonce: s.nonce })),
    );
    const ours = nonces.filter((s) => s.marked);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.nonce).not.toBe('');
    expect(violations).toEqual([]);
  });

  it('logout clears the visitor: clear() renews the chat cookie and the next page is anonymous', async () => {
    const { tab, fake } = await visit('ada@example.com');
    const cleared = await tab.evaluate(() => {
      const w = window as unknown as { HubSpotConversations: { clear(o: object): void }; __hubspotFake: FakeState };
      w.HubSpotConversations.clear({ resetWidget: true });
      return { cleared: w.__hubspotFake.cleared, visitor: w.__hubspotFake.visitorAtLoad };
    });
    expect(cleared.cleared).toBe(1);
    expect(cleared.visitor).not.toBe(fake.visitorAtLoad);
    await context.clearCookies();
    await tab.reload();
    await tab.waitForFunction(() => (window as unknown as { __hubspotFake?: { loads: number } }).__hubspotFake?.loads === 1);
    const after = await tab.evaluate(() => (window as unknown as { __hubspotFake: FakeState }).__hubspotFake);
    expect(after.settingsAtStart['identificationEmail']).toBeUndefined();
    expect(after.identified).toBeNull();
  });
});
