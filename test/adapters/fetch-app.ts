// The fetch-handler test app for the shared cases: a plain (Request) => Response router, wrapped, served through @hono/node-server.
import { getRequestListener } from '@hono/node-server';
import supertest from 'supertest';
import { identityOf, withHubSpotIdentify, type FetchOptions } from '../../adapters/fetch/index.js';
import { FRAGMENT, GZIPPED_PAGE, NONCE_HEADER, PAGE, PAGE_CHUNKS, PLAIN, printedPage, USER_HEADER, userFromHeader } from '../helpers/pages.js';
import { send } from './express-app.js';
import type { Harness } from './harness.js';

type Route = (request: Request) => Response;

const HTML = 'text/html; charset=utf-8';
const html = (body: BodyInit, headers: Record<string, string> = {}) => new Response(body, { headers: { 'content-type': HTML, ...headers } });

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
  'GET /public': () => html(PAGE, { 'cache-control': 'public, max-age=600' }),
  'GET /no-store': () => html(PAGE, { 'cache-control': 'no-store' }),
  'GET /encoded': () => html(new Uint8Array(GZIPPED_PAGE), { 'content-encoding': 'gzip' }),
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
    visitor: (request) => userFromHeader(request.headers.get(USER_HEADER) ?? undefined) as FetchOptions['visitor'] extends (...args: any[]) => infer R ? Awaited<R> : never,
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
