// The Koa test app for the shared cases.
import { Readable } from 'node:stream';
import Koa from 'koa';
import supertest from 'supertest';
import { hubspotIdentify, type KoaOptions } from '../../adapters/koa/index.js';
import {
  FRAGMENT,
  GZIPPED_PAGE,
  NONCE_HEADER,
  PAGE,
  PAGE_CHUNKS,
  PLAIN,
  printedPage,
  USER_HEADER,
  userFromHeader,
} from '../helpers/pages.js';
import { send } from './express-app.js';
import { ASSET, ASSET_HEADERS, PARTIAL_RANGE, PUBLIC_HEADERS, STRICT_CSP, VALIDATED_HEADERS, type Harness } from './harness.js';

type Route = (ctx: Koa.Context) => void | Promise<void>;

const routes: Record<string, Route> = {
  'GET /page': (ctx) => {
    ctx.body = PAGE;
  },
  'POST /page': (ctx) => {
    ctx.body = PAGE;
  },
  'GET /buffer': (ctx) => {
    ctx.type = 'html';
    ctx.body = Buffer.from(PAGE);
  },
  'GET /stream': (ctx) => {
    ctx.type = 'html';
    ctx.body = Readable.from(PAGE_CHUNKS);
  },
  'GET /json': (ctx) => {
    ctx.body = { ok: true };
  },
  'GET /plain': (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = PLAIN;
  },
  'GET /fragment': (ctx) => {
    ctx.type = 'html';
    ctx.body = FRAGMENT;
  },
  'GET /printed': (ctx) => {
    ctx.body = printedPage(ctx.state.hsIdentity?.scriptTag);
  },
  'GET /locals': (ctx) => {
    ctx.body = { hsIdentity: ctx.state.hsIdentity };
  },
  'GET /public': (ctx) => {
    ctx.set(PUBLIC_HEADERS);
    ctx.body = PAGE;
  },
  'GET /no-store': (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = PAGE;
  },
  'GET /encoded': (ctx) => {
    ctx.type = 'html';
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = GZIPPED_PAGE;
  },
  'GET /partial': (ctx) => {
    ctx.status = 206;
    ctx.set('Content-Range', PARTIAL_RANGE);
    ctx.type = 'html';
    ctx.body = PAGE.slice(0, 60);
  },
  'GET /redirect': (ctx) => {
    ctx.status = 302;
    ctx.set('Location', '/page');
    ctx.type = 'html';
    ctx.body = PAGE;
  },
  'GET /no-content': (ctx) => {
    ctx.type = 'html';
    ctx.status = 204;
  },
  'GET /error': (ctx) => {
    ctx.status = 500;
    ctx.body = PAGE;
  },
  // Koa's conditional GET, as koa-conditional-get does it: ctx.fresh.
  'GET /validated': (ctx) => {
    ctx.set(VALIDATED_HEADERS);
    ctx.body = PAGE;
    if (ctx.fresh) ctx.status = 304;
  },
  'GET /asset': (ctx) => {
    ctx.set(ASSET_HEADERS);
    ctx.body = ASSET;
  },
  'GET /cookies': (ctx) => {
    ctx.cookies.set('a', '1', { signed: false });
    ctx.cookies.set('b', '2', { signed: false });
    ctx.body = PAGE;
  },
  'GET /csp': (ctx) => {
    ctx.set({ 'Content-Security-Policy': STRICT_CSP, 'Content-Security-Policy-Report-Only': STRICT_CSP });
    ctx.body = PAGE;
  },
};

export function koaApp(options: KoaOptions, extend?: { before?: (app: Koa) => void; routes?: Record<string, Route> }): Koa {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.state['user'] = userFromHeader(ctx.get(USER_HEADER) || undefined);
    if (ctx.get(NONCE_HEADER)) ctx.state['cspNonce'] = ctx.get(NONCE_HEADER);
    await next();
  });
  extend?.before?.(app);
  app.use(hubspotIdentify(options));
  const all = { ...routes, ...extend?.routes };
  app.use(async (ctx) => {
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const route = all[`${method} ${ctx.path}`];
    if (route) await route(ctx);
  });
  return app;
}

export const koaHarness: Harness = {
  name: 'koa',
  async start(options) {
    const app = koaApp(options);
    return { request: (path, opts) => send(supertest(app.callback()), path, opts), close: async () => {} };
  },
};
