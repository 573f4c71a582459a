// The Express test app for the shared cases.
import { Readable } from 'node:stream';
import express from 'express';
import supertest from 'supertest';
import { hubspotIdentify } from '../../adapters/express/index.js';
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
  PARTIAL_RANGE,
  PUBLIC_HEADERS,
  STRICT_CSP,
  VALIDATED_HEADERS,
  type Harness,
  type TestResponse,
} from './harness.js';

export function expressApp(options: Parameters<typeof hubspotIdentify>[0], extend?: (app: express.Express) => void): express.Express {
  const app = express();
  app.use((req, res, next) => {
    (req as express.Request & { user?: unknown }).user = userFromHeader(req.headers[USER_HEADER]);
    const nonce = req.headers[NONCE_HEADER];
    if (typeof nonce === 'string') res.locals['cspNonce'] = nonce;
    next();
  });
  extend?.(app);
  app.use(hubspotIdentify(options));
  app.get('/page', (_req, res) => {
    res.send(PAGE);
  });
  app.post('/page', (_req, res) => {
    res.send(PAGE);
  });
  app.get('/buffer', (_req, res) => {
    res.type('html').send(Buffer.from(PAGE));
  });
  app.get('/stream', (_req, res) => {
    res.type('html');
    Readable.from(PAGE_CHUNKS).pipe(res);
  });
  app.get('/json', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/plain', (_req, res) => {
    res.type('text/plain').send(PLAIN);
  });
  app.get('/fragment', (_req, res) => {
    res.send(FRAGMENT);
  });
  app.get('/printed', (_req, res) => {
    res.send(printedPage(res.locals.hsIdentity?.scriptTag));
  });
  app.get('/locals', (_req, res) => {
    res.json({ hsIdentity: res.locals.hsIdentity });
  });
  app.get('/public', (_req, res) => {
    res.set(PUBLIC_HEADERS).send(PAGE);
  });
  app.get('/no-store', (_req, res) => {
    res.set('Cache-Control', 'no-store').send(PAGE);
  });
  app.get('/encoded', (_req, res) => {
    res.type('html').set('Content-Encoding', 'gzip').send(GZIPPED_PAGE);
  });
  app.get('/partial', (_req, res) => {
    res.status(206).set('Content-Range', PARTIAL_RANGE).type('html').send(PAGE.slice(0, 60));
  });
  app.get('/redirect', (_req, res) => {
    res.status(302).location('/page').type('html').send(PAGE);
  });
  app.get('/no-content', (_req, res) => {
    res.status(204).type('html').end();
  });
  app.get('/error', (_req, res) => {
    res.status(500).send(PAGE);
  });
  // Express's own conditional GET: res.send answers 304 when req.fresh.
  app.get('/validated', (_req, res) => {
    res.set(VALIDATED_HEADERS).send(PAGE);
  });
  app.get('/asset', (_req, res) => {
    res.set(ASSET_HEADERS).send(ASSET);
  });
  app.get('/cookies', (_req, res) => {
    res.cookie('a', '1').cookie('b', '2').send(PAGE);
  });
  app.get('/csp', (_req, res) => {
    res.set({ 'Content-Security-Policy': STRICT_CSP, 'Content-Security-Policy-Report-Only': STRICT_CSP }).send(PAGE);
  });
  return app;
}

export async function send(
  agent: supertest.Agent | ReturnType<typeof supertest>,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const method = (options.method ?? 'GET').toLowerCase() as 'get' | 'head' | 'post';
  const response = await agent[method](path)
    .set(options.headers ?? {})
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    });
  return {
    status: response.status,
    headers: response.headers as Record<string, string>,
    text: typeof response.body === 'string' ? response.body : '',
  };
}

export const expressHarness: Harness = {
  name: 'express',
  async start(options) {
    const app = expressApp(options);
    return { request: (path, opts) => send(supertest(app), path, opts), close: async () => {} };
  },
};
