// One benchmark server per process: `node bench/servers.mjs <express|koa|fastify|hono> <bare|printed|identify|identify-noinject>`.
// bare: the app alone. printed: the app alone, its page carrying a script of the same size, as if
// the template printed it (the cost of the bytes themselves). identify: the app with the middleware,
// using the fake HubSpot at HUBSPOT_BASE_URL; identify-noinject: the same with `inject: false` (identification and the
// header rules, without the scan and the rewrite of the page). Prints its port once listening.
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createIdentifier } from 'hubspot-identify';
import { hubspotIdentify as expressIdentify } from 'hubspot-identify/express';
import fastifyIdentify from 'hubspot-identify/fastify';
import { hubspotIdentify as honoIdentify } from 'hubspot-identify/hono';
import { hubspotIdentify as koaIdentify } from 'hubspot-identify/koa';
import { PAGE, STREAM_HEAD, STREAM_REST, STREAM_DELAY_MS } from './page.mjs';

const [framework, mode] = process.argv.slice(2);
const identify = mode === 'identify' || mode === 'identify-noinject';
const options = {
  accessToken: 'pat-bench',
  baseUrl: process.env.HUBSPOT_BASE_URL,
  logger: false,
  ...(mode === 'identify-noinject' ? { inject: false } : {}),
};

/** A script element as long as the one the middleware injects for a bench visitor, with a token from the same HubSpot. */
async function printedScript() {
  const identity = await createIdentifier(options).identify('visitor10@example.com');
  if (!identity) throw new Error('printed: no identity from the fake HubSpot');
  const [open, close] = ['<script data-printed>', '</script>'];
  return `${open}${'x'.repeat(identity.scriptTag.length - open.length - close.length)}${close}`;
}

const BODY = mode === 'printed' ? PAGE.replace('</head>', `${await printedScript()}</head>`) : PAGE;
const userOf = (header) => (typeof header === 'string' ? { email: header } : undefined);

/** The streamed page: its head at once, the rest after a delay, as a slow data fetch would. */
function streamedPage() {
  return Readable.from(
    (async function* () {
      yield STREAM_HEAD;
      await new Promise((resolve) => setTimeout(resolve, STREAM_DELAY_MS));
      yield STREAM_REST;
    })(),
  );
}

async function start() {
  if (framework === 'express') {
    const app = express();
    app.set('etag', false);
    app.use((req, _res, next) => {
      req.user = userOf(req.headers['x-user']);
      next();
    });
    if (identify) app.use(expressIdentify(options));
    app.get('/', (_req, res) => {
      res.send(BODY);
    });
    app.get('/stream', (_req, res) => {
      res.type('html');
      streamedPage().pipe(res);
    });
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
  }
  if (framework === 'koa') {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state.user = userOf(ctx.get('x-user') || undefined);
      await next();
    });
    if (identify) app.use(koaIdentify(options));
    app.use((ctx) => {
      if (ctx.path === '/stream') {
        ctx.type = 'html';
        ctx.body = streamedPage();
      } else ctx.body = BODY;
    });
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    });
  }
  if (framework === 'hono') {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user', userOf(c.req.header('x-user')));
      await next();
    });
    if (identify) app.use(honoIdentify(options));
    app.get('/', (c) => c.html(BODY));
    app.get('/stream', (c) => c.body(Readable.toWeb(streamedPage()), 200, { 'Content-Type': 'text/html; charset=utf-8' }));
    return new Promise((resolve) => {
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    });
  }
  if (framework !== 'fastify') throw new Error(`bench/servers.mjs: unknown framework ${framework}`);
  const app = Fastify();
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    request.user = userOf(request.headers['x-user']);
  });
  if (identify) await app.register(fastifyIdentify, options);
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(BODY));
  app.get('/stream', (_request, reply) => reply.type('text/html; charset=utf-8').send(streamedPage()));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

const port = await start();
process.send?.({ port });
// Exit cleanly on SIGINT, so that a server run with --cpu-prof writes its profile.
process.on('SIGINT', () => process.exit(0));
