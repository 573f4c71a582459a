// The Fastify test app for the shared cases.
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import hubspotIdentify, { type FastifyHubSpotIdentifyOptions } from '../../adapters/fastify/index.js';
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
import {
  ASSET,
  ASSET_HEADERS,
  matchesValidators,
  PARTIAL_RANGE,
  PUBLIC_HEADERS,
  STRICT_CSP,
  VALIDATED_HEADERS,
  type Harness,
  type TestResponse,
} from './harness.js';

type Locals = { locals?: { hsIdentity?: { scriptTag: string } } | null };
const html = (reply: FastifyReply) => reply.type('text/html; charset=utf-8');

export async function fastifyApp(
  options: FastifyHubSpotIdentifyOptions,
  before?: (app: FastifyInstance) => Promise<void> | void,
): Promise<FastifyInstance> {
  const app = Fastify();
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    (request as { user?: unknown }).user = userFromHeader(request.headers[USER_HEADER]);
    const nonce = request.headers[NONCE_HEADER];
    if (typeof nonce === 'string') (reply as { cspNonce?: unknown }).cspNonce = { script: nonce, style: nonce };
  });
  await before?.(app);
  await app.register(hubspotIdentify, options);
  app.get('/page', (_request, reply) => html(reply).send(PAGE));
  app.post('/page', (_request, reply) => html(reply).send(PAGE));
  app.get('/buffer', (_request, reply) => html(reply).send(Buffer.from(PAGE)));
  app.get('/stream', (_request, reply) => html(reply).send(Readable.from(PAGE_CHUNKS)));
  app.get('/json', async () => ({ ok: true }));
  app.get('/plain', (_request, reply) => reply.type('text/plain').send(PLAIN));
  app.get('/fragment', (_request, reply) => html(reply).send(FRAGMENT));
  app.get('/printed', (request, reply) => html(reply).send(printedPage(request.hsIdentity?.scriptTag)));
  app.get('/locals', async (_request, reply) => ({ hsIdentity: (reply as unknown as Locals).locals?.hsIdentity }));
  app.get('/public', (_request, reply) => html(reply).headers(PUBLIC_HEADERS).send(PAGE));
  app.get('/no-store', (_request, reply) => html(reply).header('cache-control', 'no-store').send(PAGE));
  app.get('/encoded', (_request, reply) => html(reply).header('content-encoding', 'gzip').send(GZIPPED_PAGE));
  app.get('/partial', (_request, reply) => html(reply).code(206).header('content-range', PARTIAL_RANGE).send(PAGE.slice(0, 60)));
  app.get('/redirect', (_request, reply) => html(reply).code(302).header('location', '/page').send(PAGE));
  app.get('/no-content', (_request, reply) => html(reply).code(204).send());
  app.get('/error', (_request, reply) => html(reply).code(500).send(PAGE));
  // Fastify has no conditional GET of its own: the route does what @fastify/static and @fastify/etag do.
  app.get('/validated', (request, reply) => {
    html(reply).headers(VALIDATED_HEADERS);
    return matchesValidators(request.headers) ? reply.code(304).send() : reply.send(PAGE);
  });
  app.get('/asset', (_request, reply) => reply.headers(ASSET_HEADERS).send(ASSET));
  app.get('/cookies', (_request, reply) => html(reply).header('set-cookie', ['a=1', 'b=2']).send(PAGE));
  app.get('/csp', (_request, reply) =>
    html(reply).headers({ 'content-security-policy': STRICT_CSP, 'content-security-policy-report-only': STRICT_CSP }).send(PAGE),
  );
  return app;
}

export async function inject(
  app: FastifyInstance,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const response = await app.inject({ method: (options.method ?? 'GET') as 'GET', url: path, headers: options.headers });
  return { status: response.statusCode, headers: response.headers as Record<string, string>, text: response.payload };
}

export const fastifyHarness: Harness = {
  name: 'fastify',
  async start(options) {
    const app = await fastifyApp(options);
    await app.ready();
    return { request: (path, opts) => inject(app, path, opts), close: () => app.close() };
  },
};
