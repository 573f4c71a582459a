// One identification per request however the middleware is wired, forget() on every adapter, and hsIdentity on early error pages.
import express from 'express';
import Fastify from 'fastify';
import fastifyView from '@fastify/view';
import ejs from 'ejs';
import { Hono } from 'hono';
import Koa from 'koa';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../../adapters/express/index.js';
import fastifyIdentify from '../../adapters/fastify/index.js';
import { withHubSpotIdentify } from '../../adapters/fetch/index.js';
import { hubspotIdentify as honoIdentify } from '../../adapters/hono/index.js';
import { hubspotIdentify as koaIdentify } from '../../adapters/koa/index.js';
import { isHubSpotIdentifyError } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE } from '../helpers/pages.js';

const fake = useFakeHubSpot();
const VIEWS = new URL('../fixtures/views', import.meta.url).pathname;
const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false as const });
const PAGE_LOAD = { accept: 'text/html' };
const html = (init?: ResponseInit) => new Response(PAGE, { ...init, headers: { 'content-type': 'text/html; charset=utf-8' } });

/** Each framework with the middleware registered twice (app and router level, or a slip), the visitor ada. */
const twice: Record<string, () => { get(): Promise<string> }> = {
  express: () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = 'ada@example.com';
      next();
    });
    const router = express.Router();
    router.use(expressIdentify(options()));
    app.use(expressIdentify(options()), router);
    router.get('/', (_req, res) => {
      res.type('html').send(PAGE);
    });
    return { get: async () => (await supertest(app).get('/').set(PAGE_LOAD)).text };
  },
  koa: () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state['user'] = 'ada@example.com';
      await next();
    });
    app.use(koaIdentify(options()));
    app.use(koaIdentify(options()));
    app.use((ctx) => {
      ctx.type = 'html';
      ctx.body = PAGE;
    });
    return { get: async () => (await supertest(app.callback()).get('/').set(PAGE_LOAD)).text };
  },
  hono: () => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user' as never, 'ada@example.com' as never);
      await next();
    });
    app.use(honoIdentify(options()));
    app.use(honoIdentify(options()));
    app.get('/', (c) => c.html(PAGE));
    return { get: async () => (await app.request('/', { headers: PAGE_LOAD })).text() };
  },
  fetch: () => {
    const visitor = () => 'ada@example.com';
    const handler = withHubSpotIdentify(
      withHubSpotIdentify(() => html(), { ...options(), visitor }),
      { ...options(), visitor },
    );
    return { get: async () => (await handler(new Request('http://app.test/', { headers: PAGE_LOAD }))).text() };
  },
};

describe('registered twice on one request', () => {
  it.each(Object.keys(twice))('%s: the second instance passes the request through: one HubSpot call, one script', async (name) => {
    const app = twice[name]!();
    const page = await app.get();
    expect(page.match(/data-hubspot-identify/g)).toHaveLength(1);
    expect(fake().calls).toHaveLength(1);
  });
});

describe('forget(email) on every adapter', () => {
  const cases: Record<string, () => { forget(email: string): Promise<void>; identify(): Promise<void> }> = {
    express: () => {
      const middleware = expressIdentify({ ...options(), visitor: () => 'ada@example.com' });
      const app = express()
        .use(middleware)
        .get('/', (_req, res) => {
          res.type('html').send(PAGE);
        });
      return {
        forget: middleware.forget,
        identify: async () => {
          await supertest(app).get('/').set(PAGE_LOAD);
        },
      };
    },
    koa: () => {
      const middleware = koaIdentify({ ...options(), visitor: () => 'ada@example.com' });
      const app = new Koa().use(middleware).use((ctx) => {
        ctx.type = 'html';
        ctx.body = PAGE;
      });
      return {
        forget: middleware.forget,
        identify: async () => {
          await supertest(app.callback()).get('/').set(PAGE_LOAD);
        },
      };
    },
    hono: () => {
      const middleware = honoIdentify({ ...options(), visitor: () => 'ada@example.com' });
      const app = new Hono().use(middleware).get('/', (c) => c.html(PAGE));
      return {
        forget: middleware.forget,
        identify: async () => {
          await app.request('/', { headers: PAGE_LOAD });
        },
      };
    },
    fetch: () => {
      const handler = withHubSpotIdentify(() => html(), { ...options(), visitor: () => 'ada@example.com' });
      return {
        forget: handler.forget,
        identify: async () => {
          await handler(new Request('http://app.test/', { headers: PAGE_LOAD }));
        },
      };
    },
    fastify: () => {
      const app = Fastify();
      const ready = app
        .register(fastifyIdentify, { ...options(), visitor: () => 'ada@example.com' })
        .after(() => {
          app.get('/', (_request, reply) => reply.type('text/html').send(PAGE));
        })
        .ready();
      return {
        forget: async (email) => {
          await ready;
          await app.hubspotIdentify.forget(email);
        },
        identify: async () => {
          await ready;
          await app.inject({ url: '/', headers: PAGE_LOAD });
        },
      };
    },
  };

  it.each(Object.keys(cases))("%s: the visitor's next page mints a new token", async (name) => {
    const app = cases[name]!();
    await app.identify();
    await app.identify();
    expect(fake().calls).toHaveLength(1);
    await app.forget('Ada@Example.com');
    await app.identify();
    expect(fake().calls).toHaveLength(2);
  });
});

describe('wiring slips', () => {
  it('hono: app.use(hubspotIdentify) uncalled says how to register it', async () => {
    const app = new Hono();
    const errors: unknown[] = [];
    app.onError((error, c) => {
      errors.push(error);
      return c.text('failed', 500);
    });
    app.use(honoIdentify as never);
    app.get('/', (c) => c.html(PAGE));
    expect((await app.request('/', { headers: PAGE_LOAD })).status).toBe(500);
    expect(isHubSpotIdentifyError(errors[0])).toBe(true);
    expect(errors[0]).toMatchObject({ code: 'HSI_INVALID_OPTION' });
    expect((errors[0] as Error).message).toContain('app.use(hubspotIdentify(options))');
  });

  it('fastify: an error page rendered before preHandler (failed validation) reads hsIdentity as null, not undefined', async () => {
    const app = Fastify();
    await app.register(fastifyIdentify, options());
    await app.register(fastifyView, { engine: { ejs }, root: VIEWS });
    // The view reads hsIdentity: undefined there would throw a ReferenceError and Fastify would answer JSON.
    app.setErrorHandler((_error, _request, reply) => reply.code(400).view('page.ejs', { title: 'Bad request' }));
    app.get('/v', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, () => 'ok');
    const response = await app.inject({ url: '/v?n=abc', headers: PAGE_LOAD });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<h1>Bad request</h1>');
    await app.close();
  });
});
