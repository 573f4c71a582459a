// Nothing waits that will not be identified: with HubSpot holding its answer, a redirect, JSON or 204 goes out at once in every adapter; only an HTML page waits, when it is sent.
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../../adapters/express/index.js';
import { withHubSpotIdentify } from '../../adapters/fetch/index.js';
import type { HubSpotIdentifyOptions } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE, USER_HEADER, userFromHeader } from '../helpers/pages.js';
import { send } from './express-app.js';
import { fastifyApp, inject } from './fastify-app.js';
import type { TestResponse } from './harness.js';
import { honoApp } from './hono-app.js';
import { koaApp } from './koa-app.js';

const fake = useFakeHubSpot();
// Route-level authentication reads the session from this header: the visitor is known only after the middleware ran.
const SESSION = 'x-session';
const HTML_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';

type Get = (path: string, headers: Record<string, string>) => Promise<TestResponse>;

/** Each app: /page, /redirect (302 HTML), /json and /no-content (204), each also under /late/… behind route-level auth. */
interface App {
  name: string;
  start(options: HubSpotIdentifyOptions<any, any>): Promise<Get>;
}

const html = { 'content-type': 'text/html; charset=utf-8' };

const apps: App[] = [
  {
    name: 'express',
    async start(options) {
      const app = express();
      app.use((req, _res, next) => {
        (req as { user?: unknown }).user = userFromHeader(req.headers[USER_HEADER] as string | undefined);
        next();
      });
      app.use(expressIdentify(options));
      const auth: express.RequestHandler = (req, _res, next) => {
        (req as { user?: unknown }).user = req.headers[SESSION];
        next();
      };
      for (const prefix of ['', '/late']) {
        const guards = prefix ? [auth] : [];
        app.get(`${prefix}/page`, ...guards, (_req, res) => {
          res.send(PAGE);
        });
        app.get(`${prefix}/redirect`, ...guards, (_req, res) => {
          res.redirect(302, '/page');
        });
        app.get(`${prefix}/json`, ...guards, (_req, res) => {
          res.json({ ok: true });
        });
        app.get(`${prefix}/no-content`, ...guards, (_req, res) => {
          res.status(204).end();
        });
      }
      const agent = supertest(app);
      return (path, headers) => send(agent, path, { headers });
    },
  },
  {
    name: 'koa',
    async start(options) {
      const routes: Record<string, (ctx: import('koa').Context) => void> = {};
      for (const prefix of ['', '/late']) {
        const auth = (ctx: import('koa').Context) => {
          if (prefix) ctx.state['user'] = ctx.get(SESSION) || undefined;
        };
        routes[`GET ${prefix}/page`] = (ctx) => {
          auth(ctx);
          ctx.type = 'html';
          ctx.body = PAGE;
        };
        routes[`GET ${prefix}/redirect`] = (ctx) => {
          auth(ctx);
          ctx.redirect('/page');
        };
        routes[`GET ${prefix}/json`] = (ctx) => {
          auth(ctx);
          ctx.body = { ok: true };
        };
        routes[`GET ${prefix}/no-content`] = (ctx) => {
          auth(ctx);
          ctx.status = 204;
        };
      }
      const app = koaApp(options, { routes });
      const agent = supertest(app.callback());
      return (path, headers) => send(agent, path, { headers });
    },
  },
  {
    name: 'fastify',
    async start(options) {
      const app = await fastifyApp(options);
      const preHandler = async (request: import('fastify').FastifyRequest) => {
        (request as { user?: unknown }).user = request.headers[SESSION];
      };
      app.get('/late/page', { preHandler }, (_request, reply) => reply.type('text/html').send(PAGE));
      app.get('/late/redirect', { preHandler }, (_request, reply) => reply.redirect('/page', 302));
      app.get('/late/json', { preHandler }, async () => ({ ok: true }));
      app.get('/late/no-content', { preHandler }, (_request, reply) => reply.code(204).send());
      app.get('/json-page', async () => ({ ok: true }));
      await app.ready();
      return (path, headers) => inject(app, path === '/json' ? '/json-page' : path, { headers });
    },
  },
  {
    name: 'hono',
    async start(options) {
      const app = honoApp(options, {
        before: (hono) => {
          hono.use('/late/*', async (c, next) => {
            c.set('user' as never, c.req.header(SESSION) as never);
            await next();
          });
          for (const prefix of ['/late', '']) {
            hono.get(`${prefix}/redirect`, (c) => c.redirect('/page', 302));
            hono.get(`${prefix}/json`, (c) => c.json({ ok: true }));
            hono.get(`${prefix}/no-content`, (c) => c.body(null, 204));
          }
          hono.get('/late/page', (c) => c.html(PAGE));
        },
      });
      const agent = supertest(getRequestListener(app.fetch));
      return (path, headers) => send(agent, path, { headers });
    },
  },
  {
    name: 'fetch',
    async start(options) {
      // The handler's own authentication: what the visitor function reads once the handler has run.
      const sessions = new WeakMap<Request, string>();
      const handler = withHubSpotIdentify(
        (request: Request) => {
          const path = new URL(request.url).pathname;
          const session = request.headers.get(SESSION);
          if (path.startsWith('/late/') && session) sessions.set(request, session);
          const route = path.replace(/^\/late/, '');
          if (route === '/page') return new Response(PAGE, { headers: html });
          if (route === '/redirect') return new Response(PAGE, { status: 302, headers: { ...html, location: '/page' } });
          if (route === '/json') return Response.json({ ok: true });
          return new Response(null, { status: 204 });
        },
        {
          visitor: (request) =>
            sessions.get(request) ?? (userFromHeader(request.headers.get(USER_HEADER) ?? undefined) as string | undefined),
          ...options,
        },
      );
      const agent = supertest(getRequestListener(handler));
      return (path, headers) => send(agent, path, { headers });
    },
  },
];

describe.each(apps)('$name', (app) => {
  const start = () => app.start({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false, timeout: 10_000 });

  it.each([
    ['known when the middleware ran', '', { [USER_HEADER]: 'ada@example.com' }],
    ['named later by route-level auth', '/late', { [SESSION]: 'ada@example.com' }],
  ])(
    'late identification held non-pages for HubSpot (~1 s): a visitor %s gets a redirect, JSON and a 204 at once while HubSpot holds its answer',
    async (_name, prefix, who) => {
      const get = await start();
      const release = fake().hold();
      try {
        const headers = { accept: HTML_ACCEPT, ...who };
        const redirect = await get(`${prefix}/redirect`, headers);
        expect(redirect.status).toBe(302);
        expect(redirect.headers['set-cookie']).toBeUndefined();
        expect(JSON.parse((await get(`${prefix}/json`, headers)).text)).toEqual({ ok: true });
        expect((await get(`${prefix}/no-content`, headers)).status).toBe(204);
      } finally {
        release();
      }
    },
  );

  it.each([
    ['known when the middleware ran', '', { [USER_HEADER]: 'ada@example.com' }],
    ['named later by route-level auth', '/late', { [SESSION]: 'ada@example.com' }],
  ])('an HTML page of a visitor %s waits for the token when it is sent, and goes out identified', async (_name, prefix, who) => {
    const get = await start();
    const release = fake().hold();
    const page = get(`${prefix}/page`, { accept: HTML_ACCEPT, ...who });
    // HubSpot has the call and holds it: the page is still waiting.
    while (fake().calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    let done = false;
    void page.then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    release();
    const response = await page;
    expect(response.text).toContain('"identificationEmail":"ada@example.com"');
    expect(fake().calls).toHaveLength(1);
  });
});

describe('koa: a route that throws', () => {
  it("gets Koa's own text/plain 500 while HubSpot holds its answer: it will not carry the script", async () => {
    // A timeout past the test's own: an answer that waited for HubSpot would fail the test.
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false, timeout: 30_000 },
      {
        routes: {
          'GET /throws': () => {
            throw new Error('boom');
          },
        },
      },
    );
    app.silent = true;
    const release = fake().hold();
    try {
      const response = await send(supertest(app.callback()), '/throws', {
        headers: { accept: HTML_ACCEPT, [USER_HEADER]: 'ada@example.com' },
      });
      expect(response.status).toBe(500);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
    } finally {
      release();
    }
  });
});
