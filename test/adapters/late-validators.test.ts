// What other middleware adds to an identified page after the rules ran: validators (koa-etag outside, a later Fastify onSend, hono/etag outside), and a second instance's marker.
import { createHash } from 'node:crypto';
import { getRequestListener } from '@hono/node-server';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import fastifyPlugin from '../../adapters/fastify/index.js';
import { withHubSpotIdentify } from '../../adapters/fetch/index.js';
import { hubspotIdentify as honoIdentify } from '../../adapters/hono/index.js';
import { hubspotIdentify as koaIdentify } from '../../adapters/koa/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE } from '../helpers/pages.js';
import { send } from './express-app.js';
import type { TestResponse } from './harness.js';
import { honoApp } from './hono-app.js';
import { koaApp } from './koa-app.js';

const fake = useFakeHubSpot();
const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false as const });
const ADA = { accept: 'text/html', 'x-test-user': 'ada@example.com' };
const BOB = { accept: 'text/html', 'x-test-user': 'bob@example.com' };
const sha1 = (body: string | Buffer) => `"${createHash('sha1').update(body).digest('base64')}"`;
const identified = (response: TestResponse) => response.text.includes('data-hubspot-identify');
const markers = (response: TestResponse) =>
  ([] as string[])
    .concat((response.headers['set-cookie'] as string | string[] | undefined) ?? [])
    .filter((cookie) => cookie.startsWith('hsi_v='));

describe('validators added after the rules ran', () => {
  it('koa: an ETag from koa-etag registered before the middleware (added after it returned) reached the identified page', async () => {
    const app = koaApp(options(), {
      before: (koa) =>
        koa.use(async (ctx, next) => {
          await next();
          if (ctx.body && !ctx.response.get('ETag')) ctx.response.etag = sha1(String(ctx.body));
          ctx.response.lastModified = new Date(0);
        }),
    });
    const request = (headers: Record<string, string>) => send(supertest(app.callback()), '/page', { headers });
    const ada = await request(ADA);
    expect(identified(ada)).toBe(true);
    expect(ada.headers['etag']).toBeUndefined();
    expect(ada.headers['last-modified']).toBeUndefined();
    // Anonymous pages keep what the app's middleware gives them.
    expect((await request({ accept: 'text/html' })).headers['etag']).toMatch(/^"/);
  });

  it('fastify: an ETag set by an onSend hook registered after the plugin (as @fastify/etag does) reached the identified page', async () => {
    const app = Fastify();
    app.addHook('onRequest', async (request) => {
      (request as { user?: unknown }).user = request.headers['x-test-user'];
    });
    await app.register(fastifyPlugin, options());
    await app.register(
      fp(async (instance) => {
        instance.addHook('onSend', async (_request, reply, payload) => {
          if (typeof payload === 'string' || Buffer.isBuffer(payload))
            reply.header('etag', sha1(payload)).header('last-modified', new Date(0).toUTCString());
          return payload;
        });
      }),
    );
    app.get('/page', (_request, reply) => reply.type('text/html').send(PAGE));
    const ada = await app.inject({ url: '/page', headers: ADA });
    expect(ada.payload).toContain('data-hubspot-identify');
    expect(ada.headers['etag']).toBeUndefined();
    expect(ada.headers['last-modified']).toBeUndefined();
    expect((await app.inject({ url: '/page', headers: { accept: 'text/html' } })).headers['etag']).toMatch(/^"/);
    await app.close();
  });

  it('hono on Node: hono/etag registered before the middleware put its ETag on the identified page', async () => {
    const app = new Hono();
    app.use(etag());
    app.use(async (c, next) => {
      c.set('user' as never, c.req.header('x-test-user') as never);
      await next();
    });
    app.use(honoIdentify(options()));
    app.get('/page', (c) => c.html(PAGE));
    const request = (headers: Record<string, string>) => send(supertest(getRequestListener(app.fetch)), '/page', { headers });
    const anonymous = await request({ accept: 'text/html' });
    expect(anonymous.headers['etag']).toMatch(/^"/);
    const ada = await request(ADA);
    expect(identified(ada)).toBe(true);
    expect(ada.headers['etag']).toBeUndefined();
    // Bob's page differs from Ada's, so her page's digest never matches his.
    const bob = await request({ ...BOB, 'if-none-match': anonymous.headers['etag']! });
    expect(bob.status).toBe(200);
    expect(bob.text).toContain('bob@example.com');
  });
});

describe("caching headers added after the rules ran are held to them, so no CDN serves one visitor's token to the next", () => {
  const PUBLIC = { 'Cache-Control': 'public, max-age=600', 'Surrogate-Control': 'max-age=600', Expires: 'Thu, 01 Jan 2099 00:00:00 GMT' };
  const expectPrivate = (response: TestResponse) => {
    expect(identified(response)).toBe(true);
    expect(response.headers['cache-control']).toBe('private');
    expect(response.headers['surrogate-control']).toBeUndefined();
    expect(response.headers['expires']).toBeUndefined();
  };

  it('koa: a middleware registered before ours sets them after next()', async () => {
    const app = koaApp(options(), {
      before: (koa) =>
        koa.use(async (ctx, next) => {
          await next();
          ctx.set(PUBLIC);
        }),
    });
    const request = (headers: Record<string, string>) => send(supertest(app.callback()), '/page', { headers });
    expectPrivate(await request(ADA));
    expect((await request({ accept: 'text/html' })).headers['cache-control']).toBe(PUBLIC['Cache-Control']);
  });

  it('koa: the outer error handler renders an error page that prints hsIdentity, with a public Cache-Control', async () => {
    const app = koaApp(options(), {
      before: (koa) =>
        koa.use(async (ctx, next) => {
          try {
            await next();
          } catch {
            ctx.status = 500;
            ctx.type = 'html';
            ctx.set('Cache-Control', 'public, max-age=60');
            const identity = ctx.state.hsIdentity as { scriptTag: string } | null;
            ctx.body = `<!doctype html><html><head>${identity ? identity.scriptTag : ''}</head><body>Sorry</body></html>`;
          }
        }),
      routes: {
        'GET /throws': () => {
          throw new Error('boom');
        },
      },
    });
    // The error answer does not wait for HubSpot: a visitor whose token is cached (every page after their
    // first) is printed by the template; one whose token is being minted is not, and both go out private.
    await send(supertest(app.callback()), '/page', { headers: ADA });
    const ada = await send(supertest(app.callback()), '/throws', { headers: ADA });
    expect(ada.status).toBe(500);
    expect(identified(ada)).toBe(true);
    expect(ada.headers['cache-control']).toBe('private');
    const release = fake().hold();
    const cold = await send(supertest(app.callback()), '/throws', { headers: { ...ADA, 'x-test-user': 'cold@example.com' } }).finally(
      release,
    );
    expect(identified(cold)).toBe(false);
    expect(cold.headers['cache-control']).toBe('private');
    const anonymous = await send(supertest(app.callback()), '/throws', { headers: { accept: 'text/html' } });
    expect(anonymous.headers['cache-control']).toBe('public, max-age=60');
  });

  it('fastify: an onSend hook registered after the plugin sets them', async () => {
    const app = Fastify();
    app.addHook('onRequest', async (request) => {
      (request as { user?: unknown }).user = request.headers['x-test-user'];
    });
    await app.register(fastifyPlugin, options());
    await app.register(
      fp(async (instance) => {
        instance.addHook('onSend', async (_request, reply, payload) => {
          reply.headers({
            'cache-control': PUBLIC['Cache-Control'],
            'surrogate-control': PUBLIC['Surrogate-Control'],
            expires: PUBLIC.Expires,
          });
          return payload;
        });
      }),
    );
    app.get('/page', (_request, reply) => reply.type('text/html').send(PAGE));
    const ada = await app.inject({ url: '/page', headers: ADA });
    expectPrivate({ status: ada.statusCode, text: ada.payload, headers: ada.headers } as TestResponse);
    expect((await app.inject({ url: '/page', headers: { accept: 'text/html' } })).headers['cache-control']).toBe(PUBLIC['Cache-Control']);
    await app.close();
  });

  it('hono on Node: a middleware registered before ours sets them after next()', async () => {
    const app = honoApp(options(), {
      before: (hono) => {
        hono.use(async (c, next) => {
          await next();
          for (const [name, value] of Object.entries(PUBLIC)) c.header(name, value);
        });
      },
    });
    const request = (headers: Record<string, string>) => send(supertest(getRequestListener(app.fetch)), '/page', { headers });
    expectPrivate(await request(ADA));
    expect((await request({ accept: 'text/html' })).headers['cache-control']).toBe(PUBLIC['Cache-Control']);
  });
});

describe('two middleware instances on one request', () => {
  it('koa: the marker Set-Cookie was appended twice', async () => {
    const app = koaApp(options(), { before: (koa) => koa.use(koaIdentify(options())) });
    const ada = await send(supertest(app.callback()), '/page', { headers: ADA });
    expect(identified(ada)).toBe(true);
    expect(markers(ada)).toHaveLength(1);
  });

  it('hono: the marker Set-Cookie was appended twice', async () => {
    const app = honoApp(options(), {
      before: (hono) => {
        hono.use(honoIdentify(options()));
      },
    });
    const ada = await send(supertest(getRequestListener(app.fetch)), '/page', { headers: ADA });
    expect(identified(ada)).toBe(true);
    expect(markers(ada)).toHaveLength(1);
  });
});

describe('web adapters: a conditional page load while an async visitor resolver answers', () => {
  const ETAG = '"v1"';
  // The app answers 304 to its own validator, as a handler with an ETag check does.
  const page = (request: Request) =>
    request.headers.get('if-none-match') === ETAG
      ? new Response(null, { status: 304, headers: { etag: ETAG } })
      : new Response(PAGE, { headers: { 'content-type': 'text/html', etag: ETAG } });
  const conditional = (user?: string) =>
    new Request('http://app.test/', { headers: { accept: 'text/html', 'if-none-match': ETAG, ...(user ? { 'x-user': user } : {}) } });

  it.each(['fetch', 'hono'])('%s: the logged-in visitor gets their identified page, not the 304 of an anonymous copy', async (name) => {
    const options = { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false as const };
    const run =
      name === 'fetch'
        ? withHubSpotIdentify(page, { ...options, visitor: async (request: Request) => request.headers.get('x-user') })
        : (() => {
            const app = new Hono();
            app.use(honoIdentify({ ...options, visitor: async (c) => c.req.header('x-user') }));
            app.get('/', (c) => page(c.req.raw));
            return (request: Request) => app.request(request);
          })();
    const ada = await run(conditional('ada@example.com'));
    expect(ada.status).toBe(200);
    expect(ada.headers.get('etag')).toBeNull();
    expect(ada.headers.get('cache-control')).toBe('private');
    expect(await ada.text()).toContain('"identificationEmail":"ada@example.com"');
  });
});
