// What only Koa has: koa-compress order, koa-views templates, web streams as body.
import { fileURLToPath } from 'node:url';
import views from '@ladjs/koa-views';
import Koa from 'koa';
import compress from 'koa-compress';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../helpers/clock.js';
import { PAGE, USER_HEADER } from '../helpers/pages.js';
import { send } from './express-app.js';
import { koaApp } from './koa-app.js';
import { hubspotIdentify } from '../../adapters/koa/index.js';
import { isHubSpotIdentifyError } from '../../src/index.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';

const root = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };
const countScripts = (html: string) => (html.match(/data-hubspot-identify/g) ?? []).length;

const fake = useFakeHubSpot();

describe('koa only', () => {
  it('koa-compress registered first: the page is injected, then compressed', async () => {
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() },
      { before: (a) => a.use(compress({ threshold: 0 })) },
    );
    for (const path of ['/page', '/stream']) {
      const response = await send(supertest(app.callback()), path, { headers: { ...ADA, 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding'], path).toBe('gzip');
      expect(countScripts(response.text), path).toBe(1);
    }
  });

  it('koa-views templates read ctx.state.hsIdentity', async () => {
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() },
      {
        before: (a) => a.use(views(root, { extension: 'ejs' })),
        routes: { 'GET /view': (ctx) => ctx.render('page', { title: 'Koa' }) },
      },
    );
    const response = await send(supertest(app.callback()), '/view', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('</head>'));
  });

  it('injects a web ReadableStream body', async () => {
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() },
      {
        routes: {
          'GET /web': (ctx) => {
            ctx.type = 'html';
            ctx.body = new Blob([PAGE]).stream();
          },
        },
      },
    );
    const response = await send(supertest(app.callback()), '/web', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
  });

  it('injects a web Response and a Blob as body, as Koa 3 takes them', async () => {
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() },
      {
        routes: {
          'GET /response': (ctx) => {
            ctx.body = new Response(PAGE, { status: 404, headers: { 'content-type': 'text/html; charset=utf-8', 'x-from': 'response' } });
          },
          'GET /blob': (ctx) => {
            ctx.type = 'html';
            ctx.body = new Blob([PAGE]);
          },
        },
      },
    );
    const response = await send(supertest(app.callback()), '/response', { headers: ADA });
    expect(response.status).toBe(404);
    expect(response.headers['x-from']).toBe('response');
    expect(response.headers['cache-control']).toBe('private');
    expect(countScripts(response.text)).toBe(1);
    expect(response.text.replace(/<script data-hubspot-identify[\s\S]*?<\/script>/, '')).toBe(PAGE);
    const blob = await send(supertest(app.callback()), '/blob', { headers: ADA });
    expect(countScripts(blob.text)).toBe(1);
    expect(blob.headers['content-length']).toBeUndefined();
    const anonymous = await send(supertest(app.callback()), '/response', { headers: { accept: 'text/html' } });
    expect(anonymous.text).toBe(PAGE);
  });

  it('koa-views threw ReferenceError (500) for an anonymous visitor of a template testing hsIdentity', async () => {
    const app = koaApp(
      { accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: memoryLogger() },
      {
        before: (a) => a.use(views(root, { extension: 'ejs' })),
        routes: { 'GET /view': (ctx) => ctx.render('page', { title: 'Koa' }) },
      },
    );
    const response = await send(supertest(app.callback()), '/view', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(countScripts(response.text)).toBe(0);
  });

  it('app.use(hubspotIdentify) uncalled answered 404 for every route with nothing logged: it fails with HSI_INVALID_OPTION naming the fix', async () => {
    const app = new Koa();
    const seen: unknown[] = [];
    app.silent = true;
    app.on('error', (error) => seen.push(error));
    app.use(hubspotIdentify as unknown as Koa.Middleware);
    app.use((ctx) => {
      ctx.body = PAGE;
    });
    expect((await send(supertest(app.callback()), '/page', { headers: ADA })).status).toBe(500);
    expect(isHubSpotIdentifyError(seen[0]) && seen[0].code).toBe('HSI_INVALID_OPTION');
    expect((seen[0] as Error).message).toContain('app.use(hubspotIdentify(options))');
  });
});
