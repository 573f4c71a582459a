// Late authentication (issue 13.1): route-level auth sets the user after the middleware ran; the page is identified when sent.
import { getRequestListener } from '@hono/node-server';
import supertest from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import type { HubSpotIdentifyError, HubSpotIdentifyOptions } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE } from '../helpers/pages.js';
import { send } from './express-app.js';
import { fastifyApp, inject } from './fastify-app.js';
import type { TestResponse } from './harness.js';
import { honoApp } from './hono-app.js';
import { koaApp } from './koa-app.js';

const fake = useFakeHubSpot();

// The route-level auth step reads the session from this header; the app-level user header is never sent.
const SESSION = 'x-session';
const PAGE_HEADERS = { 'cache-control': 'public, max-age=600', etag: '"guarded"' };

type Get = (path: string, headers?: Record<string, string>) => Promise<TestResponse>;

interface LateApp {
  name: string;
  /** An app whose /guarded page gets its user from a route-level auth step, after the middleware. */
  start(options: HubSpotIdentifyOptions<any, any>): Promise<Get>;
  /** The session header as a custom visitor function reads it from the framework's request. */
  session(req: any): string | undefined;
}

const apps: LateApp[] = [
  {
    name: 'koa (router-level auth middleware, as @koa/router composes it)',
    async start(options) {
      const auth = async (ctx: import('koa').Context, next: () => Promise<void>) => {
        ctx.state['user'] = ctx.get(SESSION) || undefined;
        await next();
      };
      const app = koaApp(options, {
        routes: {
          'GET /guarded': (ctx) =>
            auth(ctx, async () => {
              ctx.set(PAGE_HEADERS);
              ctx.body = PAGE;
            }),
        },
      });
      return (path, headers) => send(supertest(app.callback()), path, { headers });
    },
    session: (ctx) => ctx.get(SESSION) || undefined,
  },
  {
    name: 'fastify (route preHandler)',
    async start(options) {
      const app = await fastifyApp(options);
      app.get(
        '/guarded',
        {
          preHandler: async (request) => {
            (request as { user?: unknown }).user = request.headers[SESSION];
          },
        },
        (_request, reply) => reply.type('text/html; charset=utf-8').headers(PAGE_HEADERS).send(PAGE),
      );
      await app.ready();
      return (path, headers) => inject(app, path, { headers });
    },
    session: (request) => request.headers[SESSION],
  },
  {
    name: 'hono (route middleware)',
    async start(options) {
      const app = honoApp(options, {
        before: (hono) =>
          hono.get(
            '/guarded',
            async (c, next) => {
              c.set('user' as never, c.req.header(SESSION) as never);
              await next();
            },
            (c) => c.html(PAGE, 200, PAGE_HEADERS),
          ),
      });
      const listener = getRequestListener(app.fetch);
      return (path, headers) => send(supertest(listener), path, { headers });
    },
    session: (c) => c.req.header(SESSION),
  },
];

const scripts = (html: string) => (html.match(/data-hubspot-identify/g) ?? []).length;

describe.each(apps)('$name', (late) => {
  let errors: HubSpotIdentifyError[];

  async function start(options: HubSpotIdentifyOptions<any, any> = {}): Promise<Get> {
    errors = [];
    const get = await late.start({
      accessToken: 'pat-test',
      baseUrl: fake().baseUrl,
      logger: false,
      onError: (e) => errors.push(e),
      ...options,
    });
    return (path, headers = {}) => get(path, { accept: 'text/html', ...headers });
  }

  function expectIdentified(response: TestResponse, email: string): void {
    expect(response.status).toBe(200);
    expect(scripts(response.text)).toBe(1);
    const token = /"identificationToken":"([^"]+)"/.exec(response.text)?.[1];
    expect(fake().tokens.get(token!)).toBe(email);
    expect(response.text.replace(/<script data-hubspot-identify.*?<\/script>/, '')).toBe(PAGE);
    // It carries the identity, so it goes private and loses its validator, as an early identification would.
    expect(response.headers['cache-control']).toBe('private');
    expect(response.headers['etag']).toBeUndefined();
  }

  it('a guarded page went out anonymous: a cold token is fetched when the page is sent, and HubSpot slower than usual but within timeout still identifies it', async () => {
    const get = await start({ timeout: 5000 });
    fake().latencyMs = 150;
    expectIdentified(await get('/guarded', { [SESSION]: 'ada@example.com' }), 'ada@example.com');
    expect(fake().calls.map((call) => call.email)).toEqual(['ada@example.com']);
  });

  it('a cached token is injected at once, without calling HubSpot', async () => {
    const get = await start();
    await get('/guarded', { [SESSION]: 'ada@example.com' });
    fake().behave({ kind: 'status', status: 500 });
    expectIdentified(await get('/guarded', { [SESSION]: 'ada@example.com' }), 'ada@example.com');
    expect(fake().calls).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('HubSpot slower than timeout: the guarded page goes out anonymous and as the app made it', async () => {
    const get = await start({ timeout: 50 });
    fake().latencyMs = 1000;
    const response = await get('/guarded', { [SESSION]: 'ada@example.com' });
    expect(response.status).toBe(200);
    expect(response.text).toBe(PAGE);
    expect(response.headers['cache-control']).toBe(PAGE_HEADERS['cache-control']);
    expect(response.headers['etag']).toBe(PAGE_HEADERS.etag);
    expect(errors.map((e) => e.code)).toEqual(['HSI_TIMEOUT']);
  });

  it('a visitor anonymous at the first look and at the send stays anonymous, without a HubSpot call', async () => {
    const get = await start();
    const response = await get('/guarded');
    expect(response.text).toBe(PAGE);
    expect(response.headers['etag']).toBe(PAGE_HEADERS.etag);
    expect(fake().calls).toHaveLength(0);
  });

  it('a visitor known at the first look is not looked up again: a timed-out page waits once and is reported once', async () => {
    const get = await start({ timeout: 50 });
    fake().latencyMs = 1000;
    const response = await get('/page', { 'x-test-user': 'grace@example.com' });
    expect(response.text).toBe(PAGE);
    // The page timed out after 50 ms; on a busy machine HubSpot may not have seen the call yet.
    await vi.waitFor(() => expect(fake().calls.length).toBeGreaterThan(0), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake().calls).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['HSI_TIMEOUT']);
  });

  it('only anonymous page loads ask the visitor function a second time; other requests are not asked at all', async () => {
    const asked: unknown[] = [];
    const get = await start({ visitor: (req: unknown) => (asked.push(req), late.session(req) ?? null) });
    await get('/guarded', { [SESSION]: 'ada@example.com' });
    expect(asked).toHaveLength(1);
    asked.length = 0;
    await get('/guarded');
    expect(asked).toHaveLength(2);
    asked.length = 0;
    await get('/json', { accept: 'application/json' });
    expect(asked).toHaveLength(0);
  });

  it('an async visitor ran twice on every anonymous page: answering false ("no one, and no one later") keeps it to one call', async () => {
    const asked: unknown[] = [];
    const get = await start({ visitor: async (req: unknown) => (asked.push(req), late.session(req) ?? false) });
    const anonymous = await get('/guarded');
    expect(anonymous.text).toBe(PAGE);
    expect(asked).toHaveLength(1);
    asked.length = 0;
    expectIdentified(await get('/guarded', { [SESSION]: 'ada@example.com' }), 'ada@example.com');
    expect(asked).toHaveLength(1);
  });
});
