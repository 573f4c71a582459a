// The fetch-handler test app for the shared cases: a plain (Request) => Response router, wrapped, served through @hono/node-server.
import { getRequestListener } from '@hono/node-server';
import supertest from 'supertest';
import { identityOf, withHubSpotIdentify, type FetchOptions } from '../../adapters/fetch/index.js';
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

type Route = (request: Request) => Response;

const HTML = 'text/html; charset=utf-8';
const html = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Response(body, { headers: { 'content-type': HTML, ...headers } });

/** A web stream of the page in PAGE_CHUNKS's pieces, as a streaming renderer would give it. */
export function pageStream(chunks: readonly (string | Uint8Array)[] = PAGE_CHUNKS): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[next++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    },
  });
}

const routes: Record<string, Route> = {
  'GET /page': () => html(PAGE),
  'POST /page': () => html(PAGE),
  'GET /buffer': () => html(new Uint8Array(Buffer.from(PAGE))),
  'GET /stream': () => html(pageStream()),
  'GET /json': () => Response.json({ ok: true }),
  'GET /plain': () => new Response(PLAIN, { headers: { 'content-type': 'text/plain' } }),
  'GET /fragment': () => html(FRAGMENT),
  'GET /printed': (request) => html(printedPage(identityOf(request)?.scriptTag)),
  'GET /locals': (request) => Response.json({ hsIdentity: identityOf(request) }),
  'GET /public': () => html(PAGE, PUBLIC_HEADERS),
  'GET /no-store': () => html(PAGE, { 'cache-control': 'no-store' }),
  'GET /encoded': () => html(new Uint8Array(GZIPPED_PAGE), { 'content-encoding': 'gzip' }),
  'GET /partial': () => new Response(PAGE.slice(0, 60), { status: 206, headers: { 'content-type': HTML, 'content-range': PARTIAL_RANGE } }),
  'GET /redirect': () => new Response(PAGE, { status: 302, headers: { 'content-type': HTML, location: '/page' } }),
  'GET /no-content': () => new Response(null, { status: 204, headers: { 'content-type': HTML } }),
  'GET /error': () => new Response(PAGE, { status: 500, headers: { 'content-type': HTML } }),
  // The conditional GET a fetch framework or CDN-style handler does from the request's validators.
  'GET /validated': (request) =>
    matchesValidators({
      'if-none-match': request.headers.get('if-none-match') ?? undefined,
      'if-modified-since': request.headers.get('if-modified-since') ?? undefined,
    })
      ? new Response(null, { status: 304, headers: VALIDATED_HEADERS })
      : html(PAGE, VALIDATED_HEADERS),
  'GET /asset': () => new Response(ASSET, { headers: ASSET_HEADERS }),
  'GET /cookies': () => {
    const headers = new Headers({ 'content-type': HTML });
    headers.append('set-cookie', 'a=1; Path=/');
    headers.append('set-cookie', 'b=2; Path=/');
    return new Response(PAGE, { headers });
  },
  'GET /csp': () => html(PAGE, { 'content-security-policy': STRICT_CSP, 'content-security-policy-report-only': STRICT_CSP }),
};

/** The app's own handler: a router over `routes` (HEAD answered as GET), 404 otherwise. */
export function fetchRouter(extra: Record<string, Route> = {}): (request: Request) => Response {
  const all = { ...routes, ...extra };
  return (request) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = all[`${method} ${new URL(request.url).pathname}`];
    return route ? route(request) : new Response('not found', { status: 404 });
  };
}

/** The wrapper as an app would configure it: the user and nonce from the test headers, unless the case sets its own. */
export function fetchOptions(options: Partial<FetchOptions>): FetchOptions {
  return {
    visitor: (request) =>
      userFromHeader(request.headers.get(USER_HEADER) ?? undefined) as FetchOptions['visitor'] extends (...args: any[]) => infer R
        ? Awaited<R>
        : never,
    nonce: (request) => request.headers.get(NONCE_HEADER),
    ...options,
  };
}

export const fetchHarness: Harness = {
  name: 'fetch',
  streamsBodies: true,
  async start(options) {
    const handler = withHubSpotIdentify(fetchRouter(), fetchOptions(options));
    const listener = getRequestListener(handler);
    return { request: (path, opts) => send(supertest(listener), path, opts), close: async () => {} };
  },
};
