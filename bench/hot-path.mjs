// Each framework's request without sockets, in this one process: CPU µs per request of the bare app,
// the control app (a same-size script printed) and the app with the middleware on cache hits.
// Steadier than the socket benchmark on a shared machine, for weighing a change to the hot path.
// Run after `npm run build`: node bench/hot-path.mjs (BENCH_FRAMEWORKS, express,koa,fastify,hono by
// default; BENCH_ROUNDS, 9 by default).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createIdentifier } from 'hubspot-identify';
import { hubspotIdentify as expressIdentify } from 'hubspot-identify/express';
import fastifyIdentify from 'hubspot-identify/fastify';
import { hubspotIdentify as honoIdentify } from 'hubspot-identify/hono';
import { hubspotIdentify as koaIdentify } from 'hubspot-identify/koa';
import { startFakeHubSpot } from 'hubspot-identify/testing';
import { PAGE } from './page.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PER_ROUND = 3000;
const FRAMEWORKS = (process.env.BENCH_FRAMEWORKS ?? 'express,koa,fastify,hono').split(',');
const VISITORS = Array.from({ length: 50 }, (_, i) => `visitor${i}@example.com`);

const hubspot = await startFakeHubSpot();
const options = { accessToken: 'pat-bench', baseUrl: hubspot.baseUrl, logger: false };
const printed = (await createIdentifier(options).identify(VISITORS[10])).scriptTag.length;
const PRINTED = PAGE.replace(
  '</head>',
  `<script data-printed>${'x'.repeat(printed - '<script data-printed></script>'.length)}</script></head>`,
);

/** Each framework's app as a Node request listener, built as bench/servers.mjs builds it: `mode` is bare, control or identify. */
const builders = {
  express: async (mode) => {
    const app = express();
    app.set('etag', false);
    app.use((req, _res, next) => {
      req.user = { email: req.headers['x-user'] };
      next();
    });
    if (mode === 'identify') app.use(expressIdentify(options));
    const body = mode === 'control' ? PRINTED : PAGE;
    app.get('/', (_req, res) => {
      res.send(body);
    });
    return app;
  },
  koa: async (mode) => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      ctx.state.user = { email: ctx.get('x-user') };
      await next();
    });
    if (mode === 'identify') app.use(koaIdentify(options));
    const body = mode === 'control' ? PRINTED : PAGE;
    app.use((ctx) => {
      ctx.body = body;
    });
    return app.callback();
  },
  fastify: async (mode) => {
    const app = Fastify();
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      request.user = { email: request.headers['x-user'] };
    });
    if (mode === 'identify') await app.register(fastifyIdentify, options);
    const body = mode === 'control' ? PRINTED : PAGE;
    app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(body));
    await app.ready();
    return app.routing;
  },
  hono: async (mode) => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user', { email: c.req.header('x-user') });
      await next();
    });
    if (mode === 'identify') app.use(honoIdentify(options));
    const body = mode === 'control' ? PRINTED : PAGE;
    app.get('/', (c) => c.html(body));
    return getRequestListener(app.fetch);
  },
};

let bytes = 0;
// The logout marker each visitor's browser got on its first identified page, sent back as a browser
// would (to every app alike): page views after the first carry it, and the middleware sets no cookie.
const markers = new Map();
/** One GET through the app, written to a socket stand-in that takes every byte at once. */
function request(listener, i) {
  return new Promise((resolve) => {
    const req = new IncomingMessage(new Socket());
    const visitor = VISITORS[i % VISITORS.length];
    const headers = { host: 'bench', accept: 'text/html', 'x-user': visitor, cookie: markers.get(visitor) ?? 'session=1' };
    Object.assign(req, { method: 'GET', url: '/', complete: true, headers, rawHeaders: Object.entries(headers).flat() });
    req.push(null);
    const res = new ServerResponse(req);
    const socket = new Writable({
      write(chunk, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
      writev(chunks, callback) {
        for (const { chunk } of chunks) bytes += chunk.length;
        callback();
      },
    });
    socket.setTimeout = () => socket;
    // As Node's server does: a response that waited for the socket to drain (Hono's stream of a large body) goes on.
    socket.on('drain', () => res.emit('drain'));
    res.assignSocket(socket);
    res.on('finish', () => {
      const marker = [res.getHeader('set-cookie')].flat().find((cookie) => String(cookie).startsWith('hsi_v='));
      if (marker) markers.set(visitor, String(marker).split(';')[0]);
      resolve();
    });
    listener(req, res);
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (n) => n.toFixed(1);
const range = (values) => `${fixed(Math.min(...values))}–${fixed(Math.max(...values))}`;

console.log(`In-process, 16 KB page, cache hits: CPU µs per request, median (min–max) of ${ROUNDS} rounds of ${PER_ROUND}`);
console.log('| framework | bare | control | with middleware | with − control | with / control |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const framework of FRAMEWORKS) {
  const build = builders[framework];
  if (!build) throw new Error(`bench/hot-path.mjs: unknown framework ${framework}`);
  const apps = { bare: await build('bare'), control: await build('control'), identify: await build('identify') };
  bytes = 0;
  for (const listener of Object.values(apps)) for (let i = 0; i < 200; i++) await request(listener, i);
  if (bytes < 200 * 3 * PAGE.length) throw new Error(`bench/hot-path.mjs: ${framework} wrote ${bytes} bytes, not its pages`);
  const cpu = { bare: [], control: [], identify: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [mode, listener] of Object.entries(apps)) {
      const started = process.cpuUsage();
      for (let i = 0; i < PER_ROUND; i++) await request(listener, i);
      const used = process.cpuUsage(started);
      cpu[mode].push((used.user + used.system) / PER_ROUND);
    }
  }
  const [bare, control, identify] = [median(cpu.bare), median(cpu.control), median(cpu.identify)];
  console.log(
    `| ${framework} | ${fixed(bare)} (${range(cpu.bare)}) | ${fixed(control)} (${range(cpu.control)}) | ${fixed(identify)} (${range(cpu.identify)}) | ${fixed(identify - control)} | ${(identify / control).toFixed(2)} |`,
  );
}
await hubspot.close();
