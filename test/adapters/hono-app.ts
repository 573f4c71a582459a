// The Hono test app for the shared cases, served through @hono/node-server.
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { setCookie } from 'hono/cookie';
import supertest from 'supertest';
import { hubspotIdentify, type HonoOptions } from '../../adapters/hono/index.js';
import { FRAGMENT, GZIPPED_PAGE, NONCE_HEADER, PAGE, PLAIN, printedPage, USER_HEADER, userFromHeader } from '../helpers/pages.js';
import { pageStream } from './fetch-app.js';
import { send } from './express-app.js';
import {
  ASSET,
  ASSET_HEADERS,
  matchesValidators,
  PARTIAL_RANGE,
  PUBLIC_HEADERS,
  STRICT_CSP,
  VALIDATED_HEADERS,
  type Harness,
} from './harness.js';

type Route = (c: Context) => Response | Promise<Response>;

const routes: Record<string, Route> = {
  'GET /page': (c) => c.html(PAGE),
  'POST /page': (c) => c.html(PAGE),
  'GET /buffer': (c) => c.body(new Uint8Array(Buffer.from(PAGE)), 200, { 'content-type': 'text/html; charset=utf-8' }),
  'GET /stream': (c) => c.body(pageStream(), 200, { 'content-type': 'text/html; charset=utf-8' }),
  'GET /json': (c) => c.json({ ok: true }),
  'GET /plain': (c) => c.text(PLAIN),
  'GET /fragment': (c) => c.html(FRAGMENT),
  'GET /printed': (c) => c.html(printedPage(c.var.hsIdentity?.scriptTag)),
  'GET /locals': (c) => c.json({ hsIdentity: c.var.hsIdentity }),
  'GET /public': (c) => c.html(PAGE, 200, PUBLIC_HEADERS),
  'GET /no-store': (c) => c.html(PAGE, 200, { 'cache-control': 'no-store' }),
  'GET /encoded': (c) => c.body(new Uint8Array(GZIPPED_PAGE), 200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }),
  'GET /partial': (c) => c.html(PAGE.slice(0, 60), 206, { 'content-range': PARTIAL_RANGE }),
  'GET /redirect': (c) => c.html(PAGE, 302, { location: '/page' }),
  'GET /no-content': (c) => c.body(null, 204, { 'content-type': 'text/html; charset=utf-8' }),
  'GET /error': (c) => c.html(PAGE, 500),
  // The conditional GET a route (or hono/etag, for If-None-Match) does from the request's validators.
  'GET /validated': (c) =>
    matchesValidators(c.req.header()) ? c.body(null, 304, VALIDATED_HEADERS) : c.html(PAGE, 200, VALIDATED_HEADERS),
  'GET /asset': (c) => c.body(ASSET, 200, ASSET_HEADERS),
  'GET /cookies': (c) => {
    setCookie(c, 'a', '1');
    setCookie(c, 'b', '2');
    return c.html(PAGE);
  },
  'GET /csp': (c) => c.html(PAGE, 200, { 'content-security-policy': STRICT_CSP, 'content-security-policy-report-only': STRICT_CSP }),
};

/** A Hono app: the user (`c.get('user')`) and secure-headers' nonce variable from the test headers, then the middleware, then `before` and the routes. */
export function honoApp(options: HonoOptions, extend?: { before?: (app: Hono) => void; routes?: Record<string, Route> }): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    c.set('user' as never, userFromHeader(c.req.header(USER_HEADER)) as never);
    const nonce = c.req.header(NONCE_HEADER);
    if (nonce) c.set('secureHeadersNonce' as never, nonce as never);
    await next();
  });
  app.use(hubspotIdentify(options));
  extend?.before?.(app);
  for (const [key, route] of Object.entries({ ...routes, ...extend?.routes })) {
    const [method, path] = key.split(' ') as [string, string];
    app.on(method, path, route);
  }
  return app;
}

export const honoHarness: Harness = {
  name: 'hono',
  streamsBodies: true,
  async start(options) {
    const listener = getRequestListener(honoApp(options).fetch);
    return { request: (path, opts) => send(supertest(listener), path, opts), close: async () => {} };
  },
};
