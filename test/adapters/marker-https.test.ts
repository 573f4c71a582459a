// The logout marker over https in every adapter: `__Host-hsi_v`, Secure, which no sibling subdomain can plant; behind a TLS-terminating proxy too.
import { getRequestListener } from '@hono/node-server';
import Fastify from 'fastify';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import hubspotIdentifyPlugin from '../../adapters/fastify/index.js';
import { withHubSpotIdentify } from '../../adapters/fetch/index.js';
import type { HubSpotIdentifyOptions } from '../../src/index.js';
import { resetScriptTag } from '../../src/html/script.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE, USER_HEADER, userFromHeader } from '../helpers/pages.js';
import { expressApp, send } from './express-app.js';
import { fetchOptions, fetchRouter } from './fetch-app.js';
import type { TestResponse } from './harness.js';
import { honoApp } from './hono-app.js';
import { koaApp } from './koa-app.js';

const fake = useFakeHubSpot();
const ADA = 'ada@example.com';
const PLANTED = 'PLANTEDplantedPLANTED0';
// What a TLS-terminating proxy tells the app; the Node frameworks believe it once told to trust their proxy.
const HTTPS = { 'x-forwarded-proto': 'https', accept: 'text/html' };

type Get = (headers: Record<string, string>) => Promise<TestResponse>;

const apps: { name: string; start(options: HubSpotIdentifyOptions<any, any>): Promise<Get> }[] = [
  {
    name: 'express (trust proxy)',
    async start(options) {
      const agent = supertest(expressApp(options, (app) => app.set('trust proxy', true)));
      return (headers) => send(agent, '/page', { headers });
    },
  },
  {
    name: 'koa (app.proxy)',
    async start(options) {
      const agent = supertest(
        koaApp(options, {
          before: (app) => {
            app.proxy = true;
          },
        }).callback(),
      );
      return (headers) => send(agent, '/page', { headers });
    },
  },
  {
    name: 'fastify (trustProxy)',
    async start(options) {
      const app = Fastify({ trustProxy: true });
      app.decorateRequest('user', null);
      app.addHook('onRequest', async (request) => {
        (request as { user?: unknown }).user = userFromHeader(request.headers[USER_HEADER] as string | undefined);
      });
      await app.register(hubspotIdentifyPlugin, options);
      app.get('/page', (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
      await app.ready();
      return async (headers) => {
        const response = await app.inject({ url: '/page', headers });
        return { status: response.statusCode, headers: response.headers as Record<string, string>, text: response.payload };
      };
    },
  },
  {
    name: 'hono',
    async start(options) {
      const agent = supertest(getRequestListener(honoApp(options).fetch));
      return (headers) => send(agent, '/page', { headers });
    },
  },
  {
    name: 'fetch',
    async start(options) {
      const agent = supertest(getRequestListener(withHubSpotIdentify(fetchRouter(), fetchOptions(options))));
      return (headers) => send(agent, '/page', { headers });
    },
  },
];

const setCookies = (response: TestResponse) =>
  ([] as string[]).concat((response.headers['set-cookie'] as string | string[] | undefined) ?? []);

describe.each(apps)('$name', (app) => {
  const start = () => app.start({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false });

  it('over https the marker is __Host- prefixed and Secure; a plain hsi_v a sibling planted is never read there', async () => {
    const get = await start();
    const identified = await get({ ...HTTPS, [USER_HEADER]: ADA });
    const [cookie] = setCookies(identified);
    expect(cookie).toMatch(/^__Host-hsi_v=[\w-]{22}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(cookie).not.toMatch(/Domain=/i);
    const pair = cookie!.split(';')[0]!;
    // A planted parent-domain cookie without the prefix: no reset on any anonymous page.
    for (let i = 0; i < 2; i++) {
      const planted = await get({ ...HTTPS, cookie: `hsi_v=${PLANTED}` });
      expect(planted.text).toBe(PAGE);
      expect(setCookies(planted)).toEqual([]);
    }
    // The real one resets once, and its tombstone is __Host- too.
    const loggedOut = await get({ ...HTTPS, cookie: `hsi_v=${PLANTED}; ${pair}` });
    expect(loggedOut.text).toContain(resetScriptTag());
    expect(setCookies(loggedOut)).toEqual([expect.stringMatching(/^__Host-hsi_v=~[\w-]{8}; .*; Secure$/)]);
  });

  it('over plain http the marker keeps its plain name, without Secure', async () => {
    const get = await start();
    const [cookie] = setCookies(await get({ accept: 'text/html', [USER_HEADER]: ADA }));
    expect(cookie).toMatch(/^hsi_v=[\w-]{22}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax$/);
  });
});
