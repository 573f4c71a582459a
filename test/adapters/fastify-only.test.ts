// What only Fastify has: encapsulation, @fastify/helmet nonces, @fastify/compress, @fastify/view.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import fastifyHelmet from '@fastify/helmet';
import fastifyView from '@fastify/view';
import ejs from 'ejs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import hubspotIdentifyDefault, { hubspotIdentify } from '../../adapters/fastify/index.js';
import { memoryLogger } from '../helpers/clock.js';
import { PAGE, USER_HEADER } from '../helpers/pages.js';
import { fastifyApp, inject } from './fastify-app.js';
import { isHubSpotIdentifyError } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';

const views = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };
const countScripts = (html: string) => (html.match(/data-hubspot-identify/g) ?? []).length;

const fake = useFakeHubSpot();
const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() });

describe('fastify only', () => {
  it('injects a web Response sent as the payload, with its status and headers', async () => {
    const app = await fastifyApp(options());
    app.get(
      '/response',
      async () =>
        new Response(PAGE, {
          status: 404,
          headers: { 'content-type': 'text/html; charset=utf-8', 'x-from': 'response', 'set-cookie': 'a=1' },
        }),
    );
    const response = await inject(app, '/response', { headers: ADA });
    expect(response.status).toBe(404);
    expect(response.headers['x-from']).toBe('response');
    expect(response.headers['set-cookie']).toContain('a=1');
    expect(response.headers['cache-control']).toBe('private');
    expect(countScripts(response.text)).toBe(1);
    const anonymous = await inject(app, '/response', { headers: { accept: 'text/html' } });
    expect(anonymous.text).toBe(PAGE);
    expect(anonymous.status).toBe(404);
    await app.close();
  });

  it('exports the plugin as default and named, wrapped with fastify-plugin', () => {
    expect(hubspotIdentifyDefault).toBe(hubspotIdentify);
    expect((hubspotIdentify as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true);
    expect((hubspotIdentify as unknown as Record<symbol, { name: string }>)[Symbol.for('plugin-meta')]).toMatchObject({
      name: 'hubspot-identify',
      fastify: '5.x',
    });
  });

  it('registered at the root, it covers routes in encapsulated child plugins', async () => {
    const app = await fastifyApp(options());
    await app.register(
      async (child) => {
        child.get('/inner', (_request, reply) => reply.type('text/html').send(PAGE));
      },
      { prefix: '/child' },
    );
    const response = await inject(app, '/child/inner', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    await app.close();
  });

  it('uses the script nonce of @fastify/helmet', async () => {
    const app = await fastifyApp(options(), async (a) => {
      await a.register(fastifyHelmet, { enableCSPNonces: true });
    });
    const response = await inject(app, '/page', { headers: ADA });
    const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(response.headers['content-security-policy']!)![1];
    expect(response.text).toContain(`<script data-hubspot-identify nonce="${nonce}">`);
    await app.close();
  });

  it('with @fastify/compress, the page is injected, then compressed', async () => {
    const app = await fastifyApp(options(), async (a) => {
      await a.register(fastifyCompress, { threshold: 0 });
    });
    for (const path of ['/page', '/stream']) {
      const response = await app.inject({ url: path, headers: { ...ADA, 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding'], path).toBe('gzip');
      expect(countScripts(gunzipSync(response.rawPayload).toString()), path).toBe(1);
    }
    await app.close();
  });

  it('@fastify/view templates read reply.locals.hsIdentity', async () => {
    const app = await fastifyApp(options(), async (a) => {
      await a.register(fastifyView, { engine: { ejs }, root: views });
    });
    app.get('/view', (_request, reply) => reply.view('page.ejs', { title: 'Fastify' }));
    const response = await inject(app, '/view', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('</head>'));
    const anonymous = await inject(app, '/view', { headers: { accept: 'text/html' } });
    expect(countScripts(anonymous.text)).toBe(0);
    await app.close();
  });

  it('serves tokenRoute as a route', async () => {
    const app = Fastify();
    await app.register(hubspotIdentify, { ...options(), tokenRoute: '/hs-token', visitor: () => 'ada@example.com' });
    const response = await app.inject('/hs-token');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ email: 'ada@example.com' });
    expect(app.hasRoute({ method: 'GET', url: '/hs-token' })).toBe(true);
    await app.close();
  });

  it('fails at registration, not per request, on a bad option', async () => {
    const app = Fastify();
    await expect(app.register(hubspotIdentify, { ...options(), timeout: -1 }).ready()).rejects.toThrow(/timeout must be a positive number/);
  });

  it('registered before @fastify/view, it broke reply.locals (500 on every request): templates get hsIdentity, null when anonymous', async () => {
    const app = Fastify();
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      (request as { user?: unknown }).user = request.headers[USER_HEADER];
    });
    await app.register(hubspotIdentify, options());
    await app.register(fastifyView, { engine: { ejs }, root: views });
    app.get('/view', (_request, reply) => reply.view('page.ejs', { title: 'Fastify' }));
    const anonymous = await inject(app, '/view', { headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(200);
    expect(countScripts(anonymous.text)).toBe(0);
    const identified = await inject(app, '/view', { headers: ADA });
    expect(countScripts(identified.text)).toBe(1);
    expect(identified.text.indexOf('data-hubspot-identify')).toBeLessThan(identified.text.indexOf('</head>'));
    await app.close();
  });

  it('request.hsIdentity is null, never undefined, and the same as reply.locals.hsIdentity', async () => {
    const app = await fastifyApp(options());
    app.get('/both', (request, reply) => ({
      request: request.hsIdentity,
      same: request.hsIdentity === (reply as unknown as { locals: { hsIdentity: unknown } }).locals.hsIdentity,
    }));
    expect(JSON.parse((await inject(app, '/both', { headers: { accept: 'text/html' } })).text)).toEqual({ request: null, same: true });
    // The first, cold page renders while HubSpot is asked (null); once the token is cached, templates get it.
    expect(JSON.parse((await inject(app, '/both', { headers: ADA })).text)).toEqual({ request: null, same: true });
    await fake().idle();
    expect(JSON.parse((await inject(app, '/both', { headers: ADA })).text)).toMatchObject({
      request: { email: 'ada@example.com' },
      same: true,
    });
    await app.close();
  });

  it("@fastify/helmet's hash-only script-src blocked the script: its hash is added when there is no nonce", async () => {
    const app = await fastifyApp(options(), async (a) => {
      await a.register(fastifyHelmet, {
        contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"] } },
      });
    });
    const response = await inject(app, '/page', { headers: ADA });
    const text = /<script data-hubspot-identify>([\s\S]*?)<\/script>/.exec(response.text)![1]!;
    const scriptSrc = /script-src [^;]*/.exec(response.headers['content-security-policy']!)![0];
    expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(text).digest('base64')}'`);
    await app.close();
  });

  it('called like a factory, app.register(hubspotIdentify(options)) said the token was not set: it names the fix', async () => {
    const app = Fastify();
    const misuse = (hubspotIdentify as unknown as (options: object) => Parameters<typeof app.register>[0])(options());
    const failure = await app
      .register(misuse)
      .ready()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHubSpotIdentifyError(failure) && failure.code).toBe('HSI_INVALID_OPTION');
    expect((failure as Error).message).toContain('app.register(hubspotIdentify, options)');
    await app.close();
  });

  it('registered twice in one app, it silently doubled HubSpot calls: the second registration fails, naming the fix', async () => {
    const app = Fastify();
    await app.register(hubspotIdentify, options());
    const failure = await app
      .register(hubspotIdentify, options())
      .ready()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHubSpotIdentifyError(failure) && failure.code).toBe('HSI_INVALID_OPTION');
    expect((failure as Error).message).toMatch(/registered twice.*register it once/);
    await app.close();
  });
});
