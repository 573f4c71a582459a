// tokenRoute in real headless Chromium through the Express and Hono middleware: a sibling site cannot read the visitor's token, whatever CORS the app set; the site's own page can.
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import { hubspotIdentify as honoIdentify } from '../adapters/hono/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import {
  browserEntryModules,
  HSI_TEST_HOSTS,
  launchChromium,
  serveOnLoopback,
  treatAsSecure,
  userFromCookie,
  type LoopbackServer,
} from './helpers/browser.js';

const ROUTE = '/hubspot/token';
const EMAIL = 'ada@example.com';

/** A token-route request as the app answered it: what the browser sent, whether it carried the visitor's session, and the status. */
interface Answered {
  host: string;
  status: number;
  session: boolean;
  origin?: string;
  site?: string;
  dest?: string;
}

let hubspot: FakeHubSpot;
let browser: Browser;
let modules: Map<string, string>;
const answered: Answered[] = [];

const options = () => ({ accessToken: 'pat-token-route', baseUrl: hubspot.baseUrl, logger: false as const, tokenRoute: ROUTE });
const note = (host: string | undefined, status: number, header: (name: string) => string | undefined) => {
  answered.push({
    host: host ?? '',
    status,
    session: userFromCookie(header('cookie')) !== undefined,
    origin: header('origin'),
    site: header('sec-fetch-site'),
    dest: header('sec-fetch-dest'),
  });
};

// The client-rendered page: hubspot-identify/browser as the app's bundle would import it, the widget from the fake loader.
const spaPage = () => `<!doctype html><html><head><meta charset="utf-8"><title>spa</title></head><body>
<script type="module">
import { identifyWidget } from '/browser/index.js';
window.identifying = identifyWidget({ route: '${ROUTE}' });
</script>
${hubspot.loaderTag}</body></html>`;

// Sibling subdomains are one site, so the visitor's SameSite=Lax session goes with every request a sibling's page makes:
// only the route's own check stands between that page and the token.
const SESSION = { httpOnly: true, sameSite: 'lax' as const, path: '/' };

/** Express with a permissive CORS middleware before ours: it reflects any Origin with credentials and answers preflights. */
function expressApp(): express.Express {
  const app = express();
  app.use((req, res, next) => {
    if (req.path === ROUTE) res.on('finish', () => note(req.headers.host, res.statusCode, (name) => req.get(name)));
    next();
  });
  app.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin) res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' });
    if (req.method !== 'OPTIONS') return next();
    res.set('Access-Control-Allow-Methods', 'GET, HEAD');
    res.set('Access-Control-Allow-Headers', req.get('access-control-request-headers') ?? '');
    res.sendStatus(204);
  });
  app.use(expressIdentify({ ...options(), visitor: (req) => userFromCookie(req.headers.cookie)?.email ?? null }));
  app.get('/login', (req, res) => {
    res.cookie('user', String(req.query['email']), SESSION).type('html').send('<!doctype html><title>in</title>');
  });
  app.get('/browser/:file', (req, res) => {
    res.type('text/javascript').send(modules.get(req.params['file'] as string));
  });
  app.get('/spa', (_req, res) => {
    res.type('html').send(spaPage());
  });
  return app;
}

/** Hono with hono/cors before ours, reflecting any Origin with credentials. */
function honoApp(): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    if (c.req.path === ROUTE) note(c.req.header('host'), c.res.status, (name) => c.req.header(name));
  });
  app.use(cors({ origin: (origin) => origin || null, credentials: true }));
  app.use(honoIdentify({ ...options(), visitor: (c) => userFromCookie(c.req.header('cookie'))?.email ?? null }));
  app.get('/login', (c) => {
    c.header('Set-Cookie', `user=${encodeURIComponent(c.req.query('email') ?? '')}; Path=/; HttpOnly; SameSite=Lax`);
    return c.html('<!doctype html><title>in</title>');
  });
  app.get('/browser/:file', (c) => c.body(modules.get(c.req.param('file')) ?? '', 200, { 'Content-Type': 'text/javascript' }));
  app.get('/spa', (c) => c.html(spaPage()));
  return app;
}

const frameworks = {
  express: (): RequestListener => expressApp(),
  hono: (): RequestListener => getRequestListener(honoApp().fetch),
};

/**
 * Over plain http Chromium sends no Fetch Metadata, so the route goes by Origin alone; on an origin
 * it trusts (as https sites are) it says where a request comes from and what will consume it.
 */
const transports = { 'plain http': false, 'a trustworthy origin (as over https)': true };

/** The attacker's page: blank, on the sibling evil.hsi.test. */
const attackerPage: RequestListener = (_req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>evil</title>');
};

const servers: LoopbackServer[] = [];
const apps = new Map<string, LoopbackServer>();
const attackers = new Map<boolean, LoopbackServer>();
const appOrigin = (framework: string, trusted: boolean) => `http://app.hsi.test:${apps.get(`${framework} ${trusted}`)!.port}`;
const attackerOrigin = (trusted: boolean) => `http://evil.hsi.test:${attackers.get(trusted)!.port}`;

beforeAll(async () => {
  [hubspot, modules] = await Promise.all([startFakeHubSpot(), browserEntryModules()]);
  for (const trusted of Object.values(transports)) {
    attackers.set(trusted, await serveOnLoopback(attackerPage));
    for (const [name, listener] of Object.entries(frameworks)) apps.set(`${name} ${trusted}`, await serveOnLoopback(listener()));
  }
  servers.push(...attackers.values(), ...apps.values());
  // The origins must be known before launch to be trusted: every server is up by now.
  const trustedOrigins = [attackerOrigin(true), ...Object.keys(frameworks).map((name) => appOrigin(name, true))];
  browser = await launchChromium([HSI_TEST_HOSTS, treatAsSecure(trustedOrigins)]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => server.close()));
  await hubspot?.close();
});

beforeEach(() => {
  answered.length = 0;
});

/** Every token HubSpot minted, and the email: what must never show in anything the attacker's page reads. */
const secrets = () => [...hubspot.tokens.keys(), EMAIL];

describe.each(Object.keys(frameworks))('%s', (framework) => {
  describe.each(Object.entries(transports))('%s', (_transport, trusted) => {
    const app = () => appOrigin(framework, trusted);
    const routeAnswers = () => answered.filter((entry) => entry.host === new URL(app()).host);

    // One browser profile for the block: the visitor logs in on the app, then has the app's page and the attacker's open.
    let context: BrowserContext;
    let own: Page;
    let attacker: Page;
    beforeAll(async () => {
      context = await browser.newContext();
      own = await context.newPage();
      await own.goto(`${app()}/login?email=${encodeURIComponent(EMAIL)}`);
      attacker = await context.newPage();
      await attacker.goto(`${attackerOrigin(trusted)}/`);
    });
    afterAll(() => context?.close());

    it("the site's own page: identifyWidget gets the visitor's token from the route (200) and the widget loads as them", async () => {
      await own.goto(`${app()}/spa`);
      await own.waitForFunction(() => 'identifying' in window);
      const identity = await own.evaluate(
        () => (window as unknown as { identifying: Promise<{ email: string; token: string } | null> }).identifying,
      );
      expect(identity?.email).toBe(EMAIL);
      expect(hubspot.tokens.get(identity!.token)).toBe(EMAIL);
      const widgetShows = (email: string) =>
        (window as unknown as { __hubspotFake?: { identified: string | null } }).__hubspotFake?.identified === email;
      await own.waitForFunction(widgetShows, EMAIL);
      const metadata = trusted ? { site: 'same-origin', dest: 'empty' } : {};
      expect(routeAnswers()).toEqual([expect.objectContaining({ status: 200, session: true, ...metadata })]);
    });

    it("a sibling's credentialed fetch gets 403 and no token, though the app's CORS lets it read the answer", async () => {
      const read = await attacker.evaluate(async (url) => {
        const response = await fetch(url, { credentials: 'include' });
        const headers: string[] = [];
        response.headers.forEach((value, name) => {
          headers.push(`${name}: ${value}`);
        });
        return { status: response.status, headers: headers.join('\n'), body: await response.text() };
      }, `${app()}${ROUTE}`);
      expect(read.status).toBe(403);
      expect(read.body).toContain('same-origin');
      for (const secret of secrets()) expect(`${read.headers}\n${read.body}`).not.toContain(secret);
      // The request carried the visitor's session: the refusal is the route's, not a missing cookie.
      expect(routeAnswers()).toEqual([expect.objectContaining({ status: 403, session: true, origin: attackerOrigin(trusted) })]);
    });

    it("a sibling's preflighted fetch: the app's CORS answers the preflight, the route still answers 403 without a token", async () => {
      const read = await attacker.evaluate(async (url) => {
        const response = await fetch(url, { credentials: 'include', headers: { 'X-Requested-With': 'fetch' } });
        return { status: response.status, body: await response.text() };
      }, `${app()}${ROUTE}`);
      expect(read.status).toBe(403);
      for (const secret of secrets()) expect(read.body).not.toContain(secret);
      // A preflight carries no cookies; the request after it does.
      expect(routeAnswers()).toEqual([
        expect.objectContaining({ status: 204, session: false }),
        expect.objectContaining({ status: 403, session: true }),
      ]);
    });

    it("a <script src> of the route on a sibling's page runs nothing and leaves nothing on the page", async () => {
      const before = await attacker.evaluate(() => Object.keys(window));
      const outcome = await attacker.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            window.addEventListener('error', (event) => resolve(`page error: ${event.message}`));
            const script = document.createElement('script');
            script.src = url;
            script.onload = () => resolve('load');
            script.onerror = () => resolve('error');
            document.head.append(script);
          }),
        `${app()}${ROUTE}`,
      );
      const after = await attacker.evaluate(() => Object.keys(window));
      const page = await attacker.content();
      // Blocked either way: refused (403), or, where the browser sends no Fetch Metadata, JSON under nosniff is never run.
      expect(outcome).toBe('error');
      expect(after).toEqual(before);
      for (const secret of secrets()) expect(page).not.toContain(secret);
      const [request] = routeAnswers();
      expect(request?.session).toBe(true);
      // Only Fetch Metadata tells a cross-site <script> apart from curl: Chromium sends no Origin for it.
      if (trusted) expect(request).toMatchObject({ status: 403, site: 'same-site', dest: 'script' });
    });
  });
});
