// What only Fastify has: encapsulation, @fastify/helmet nonces, @fastify/compress, @fastify/view.
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
import { useFakeHubSpot } from '../helpers/hubspot.js';

const views = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };
const countScripts = (html: string) => (html.match(/data-hubspot-identify/g) ?? []).length;

const fake = useFakeHubSpot();
const options = () => ({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() });

describe('fastify only', () => {
  it('exports the plugin as default and named, wrapped with fastify-plugin', () => {
    expect(hubspotIdentifyDefault).toBe(hubspotIdentify);
    expect((hubspotIdentify as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true);
    expect((hubspotIdentify as unknown as Record<symbol, { name: string }>)[Symbol.for('plugin-meta')]).toMatchObject({ name: 'hubspot-identify', fastify: '5.x' });
  });

  it('registered at the root, it covers routes in encapsulated child plugins', async () => {
    const app = await fastifyApp(options());
    await app.register(async (child) => {
      child.get('/inner', (_request, reply) => reply.type('text/html').send(PAGE));
    }, { prefix: '/child' });
    const response = await inject(app, '/child/inner', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    await app.close();
  });

  it('uses the script nonce of @fastify/helmet', async () => {
    const app = await fastifyApp(options(), async (a) => { await a.register(fastifyHelmet, { enableCSPNonces: true }); });
    const response = await inject(app, '/page', { headers: ADA });
    const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(response.headers['content-security-policy']!)![1];
    expect(response.text).toContain(`<script data-hubspot-identify nonce="${nonce}">`);
    await app.close();
  });

  it('with @fastify/compress, the page is injected, then compressed', async () => {
    const app = await fastifyApp(options(), async (a) => { await a.register(fastifyCompress, { threshold: 0 }); });
    for (const path of ['/page', '/stream']) {
      const response = await app.inject({ url: path, headers: { ...ADA, 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding'], path).toBe('gzip');
      expect(countScripts(gunzipSync(response.rawPayload).toString()), path).toBe(1);
    }
    await app.close();
  });

  it('@fastify/view templates read reply.locals.hsIdentity', async () => {
    const app = await fastifyApp(options(), async (a) => { await a.register(fastifyView, { engine: { ejs }, root: views }); });
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
});
