// tokenRoute in every adapter: the token goes to its own page only, whatever CORS the app set; a resolver failure is not "logged out"; a 200 sets the logout marker.
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../../adapters/express/index.js';
import hubspotIdentifyPlugin from '../../adapters/fastify/index.js';
import { tokenRouteHandler, withHubSpotIdentify, type FetchOptions } from '../../adapters/fetch/index.js';
import { hubspotIdentify as honoIdentify } from '../../adapters/hono/index.js';
import { hubspotIdentify as koaIdentify } from '../../adapters/koa/index.js';
import type { HubSpotIdentifyOptions } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { USER_HEADER, userFromHeader } from '../helpers/pages.js';
import { send } from './express-app.js';
import type { TestResponse } from './harness.js';

const fake = useFakeHubSpot();
const ROUTE = '/hubspot/token';
const ADA = 'ada@example.com';

type Get = (headers: Record<string, string>) => Promise<TestResponse>;

/** The popular `cors({ origin: true, credentials: true })`: any Origin reflected, credentials allowed, before the middleware. */
const corsHeaders = (origin: string | undefined): Record<string, string> =>
  origin ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' } : {};

interface TokenApp {
  name: string;
  /** The app with permissive CORS registered before the middleware. */
  start(options: HubSpotIdentifyOptions<any, any>): Promise<{ get: Get }>;
}

const visitorOption = (options: HubSpotIdentifyOptions<any, any>) => options.visitor;
const fromHeader = (value: string | null | undefined) => userFromHeader(value ?? undefined);

const apps: TokenApp[] = [
  {
    name: 'express',
    async start(options) {
      const app = express();
      app.use((req, res, next) => {
        (req as { user?: unknown }).user = fromHeader(req.headers[USER_HEADER] as string | undefined);
        res.set(corsHeaders(req.headers.origin));
        next();
      });
      app.use(expressIdentify({ ...options, tokenRoute: ROUTE }));
      const agent = supertest(app);
      return { get: (headers) => send(agent, ROUTE, { headers }) };
    },
  },
  {
    name: 'koa',
    async start(options) {
      const app = new Koa();
      app.use(async (ctx, next) => {
        ctx.state['user'] = fromHeader(ctx.get(USER_HEADER));
        ctx.set(corsHeaders(ctx.get('Origin') || undefined));
        await next();
      });
      app.use(koaIdentify({ ...options, tokenRoute: ROUTE }));
      const agent = supertest(app.callback());
      return { get: (headers) => send(agent, ROUTE, { headers }) };
    },
  },
  {
    name: 'fastify',
    async start(options) {
      const app = Fastify();
      app.decorateRequest('user', null);
      app.addHook('onRequest', async (request, reply) => {
        (request as { user?: unknown }).user = fromHeader(request.headers[USER_HEADER] as string | undefined);
        reply.headers(corsHeaders(request.headers.origin));
      });
      await app.register(hubspotIdentifyPlugin, { ...options, tokenRoute: ROUTE });
      await app.ready();
      const get: Get = async (headers) => {
        const response = await app.inject({ url: ROUTE, headers });
        return { status: response.statusCode, headers: response.headers as Record<string, string>, text: response.payload };
      };
      return { get };
    },
  },
  {
    name: 'hono',
    async start(options) {
      const app = new Hono();
      app.use(async (c, next) => {
        c.set('user' as never, fromHeader(c.req.header(USER_HEADER)) as never);
        await next();
        for (const [name, value] of Object.entries(corsHeaders(c.req.header('Origin')))) c.res.headers.set(name, value);
      });
      app.use(honoIdentify({ ...options, tokenRoute: ROUTE }));
      const agent = supertest(getRequestListener(app.fetch));
      return { get: (headers) => send(agent, ROUTE, { headers }) };
    },
  },
  ...(['withHubSpotIdentify', 'tokenRouteHandler'] as const).map(
    (name): TokenApp => ({
      name: `fetch ${name}`,
      async start(options) {
        const fetchOptions = {
          visitor: (request: Request) => fromHeader(request.headers.get(USER_HEADER)),
          ...options,
          tokenRoute: ROUTE,
        } as FetchOptions;
        if (visitorOption(options)) fetchOptions.visitor = visitorOption(options)!;
        const inner =
          name === 'tokenRouteHandler' ? tokenRouteHandler(fetchOptions) : withHubSpotIdentify(() => new Response('the app'), fetchOptions);
        // CORS applied around the wrapped handler, as an app's outer layer would.
        const handler = async (request: Request) => {
          const response = await inner(request);
          const withCors = new Response(response.body, response);
          for (const [header, value] of Object.entries(corsHeaders(request.headers.get('origin') ?? undefined)))
            withCors.headers.set(header, value);
          return withCors;
        };
        const agent = supertest(getRequestListener(handler));
        return { get: (headers) => send(agent, ROUTE, { headers }) };
      },
    }),
  ),
];

const cookiesOf = (response: TestResponse) =>
  ([] as string[]).concat((response.headers['set-cookie'] as string | string[] | undefined) ?? []);

describe.each(apps)('$name', (app) => {
  const start = (options: HubSpotIdentifyOptions<any, any> = {}) =>
    app.start({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false, ...options });

  it("identifyWidget's same-origin fetch gets the token, with no-store, nosniff and Vary", async () => {
    const { get } = await start();
    const first = await get({ [USER_HEADER]: ADA, 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' });
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ email: ADA, expiresAt: expect.any(Number) });
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    expect(first.headers['vary']).toMatch(/Cookie/);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
  });

  it('a client that is no browser (no Sec-Fetch-*, no Origin) gets the token', async () => {
    const { get } = await start();
    const response = await get({ [USER_HEADER]: ADA });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).email).toBe(ADA);
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'empty', origin: 'https://evil.example' }],
    [
      'Sec-Fetch-Site: same-site (a sibling subdomain)',
      { 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'empty', origin: 'https://sibling.example.com' },
    ],
    ['an Origin that is not its own', { origin: 'https://evil.example' }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
    ['Sec-Fetch-Dest: script (a <script src> of the route)', { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'script' }],
  ])("the token route was readable cross-origin through the app's CORS: %s gets 403 and no token", async (_name, headers) => {
    const { get } = await start();
    const response = await get({ [USER_HEADER]: ADA, ...headers });
    expect(response.status).toBe(403);
    expect(response.text).not.toMatch(/fake-\d+/);
    expect(JSON.parse(response.text)).not.toHaveProperty('token');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(fake().calls).toHaveLength(0);
  });

  it('Sec-Fetch-Site: none (the address bar) is the visitor themselves', async () => {
    const { get } = await start();
    expect((await get({ [USER_HEADER]: ADA, 'sec-fetch-site': 'none', 'sec-fetch-dest': 'empty' })).status).toBe(200);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('session store down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('session store down'))],
  ])('a resolver failure read as "logged out" reset the chat: a visitor function that %s answers 503, not 401', async (_name, visitor) => {
    const { get } = await start({ visitor });
    const response = await get({ [USER_HEADER]: ADA });
    expect(response.status).toBe(503);
    expect(fake().calls).toHaveLength(0);
  });

  it('identification through the route alone set no logout marker: a 200 sets it, once', async () => {
    const { get } = await start();
    const first = await get({ [USER_HEADER]: ADA });
    expect(first.status).toBe(200);
    const marker = cookiesOf(first).find((cookie) => cookie.startsWith('hsi_v='));
    expect(marker).toMatch(/^hsi_v=[\w-]{22}; .*HttpOnly/);
    const again = await get({ [USER_HEADER]: ADA, cookie: marker!.split(';')[0]! });
    expect(again.status).toBe(200);
    expect(cookiesOf(again).filter((cookie) => cookie.startsWith('hsi_v='))).toEqual([]);
    expect((await get({})).status).toBe(401);
  });

  it('with resetOnLogout: false the route sets no cookie', async () => {
    const { get } = await start({ resetOnLogout: false });
    expect(cookiesOf(await get({ [USER_HEADER]: ADA }))).toEqual([]);
  });

  it('an Origin naming its own host is same-origin, over http or behind a TLS-terminating proxy', async () => {
    const { get } = await start();
    const own = { [USER_HEADER]: ADA, host: 'app.example.com', 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'empty' };
    expect((await get({ ...own, origin: 'http://app.example.com' })).status).toBe(200);
    expect((await get({ ...own, origin: 'https://app.example.com' })).status).toBe(200);
    expect((await get({ ...own, origin: 'https://app.example.com:8443' })).status).toBe(403);
    expect((await get({ ...own, origin: 'https://other.example.com' })).status).toBe(403);
  });
});
