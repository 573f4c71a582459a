// The Express request without sockets, in this one process: CPU µs per request of the bare app, the
// control app (a same-size script printed) and the app with the middleware on cache hits. Steadier
// than the socket benchmark on a shared machine, for weighing a change to the hot path.
// Run after `npm run build`: node bench/hot-path.mjs (BENCH_ROUNDS, 9 by default).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { createIdentifier } from 'hubspot-identify';
import { hubspotIdentify } from 'hubspot-identify/express';
import { startFakeHubSpot } from 'hubspot-identify/testing';
import { PAGE } from './page.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const PER_ROUND = 3000;
const VISITORS = Array.from({ length: 50 }, (_, i) => `visitor${i}@example.com`);

const hubspot = await startFakeHubSpot();
const options = { accessToken: 'pat-bench', baseUrl: hubspot.baseUrl, logger: false };
const printed = (await createIdentifier(options).identify(VISITORS[10])).scriptTag.length;
const PRINTED = PAGE.replace('</head>', `<script data-printed>${'x'.repeat(printed - '<script data-printed></script>'.length)}</script></head>`);

function app(mode) {
  const server = express();
  server.set('etag', false);
  server.use((req, _res, next) => { req.user = { email: req.headers['x-user'] }; next(); });
  if (mode === 'identify') server.use(hubspotIdentify(options));
  const body = mode === 'control' ? PRINTED : PAGE;
  server.get('/', (_req, res) => { res.send(body); });
  return server;
}

let bytes = 0;
/** One GET through the app, written to a socket stand-in that takes every byte at once. */
function request(server, i) {
  return new Promise((resolve) => {
    const req = new IncomingMessage(new Socket());
    Object.assign(req, { method: 'GET', url: '/', complete: true, headers: { host: 'bench', accept: 'text/html', 'x-user': VISITORS[i % VISITORS.length] } });
    req.push(null);
    const res = new ServerResponse(req);
    const socket = new Writable({
      write(chunk, _encoding, callback) { bytes += chunk.length; callback(); },
      writev(chunks, callback) { for (const { chunk } of chunks) bytes += chunk.length; callback(); },
    });
    socket.setTimeout = () => socket;
    res.assignSocket(socket);
    res.on('finish', resolve);
    server(req, res);
  });
}

const apps = { bare: app('bare'), control: app('control'), identify: app('identify') };
for (const server of Object.values(apps)) for (let i = 0; i < 200; i++) await request(server, i);
const cpu = Object.fromEntries(Object.keys(apps).map((mode) => [mode, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, server] of Object.entries(apps)) {
    const started = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) await request(server, i);
    const used = process.cpuUsage(started);
    cpu[mode].push((used.user + used.system) / PER_ROUND);
  }
}
if (bytes === 0) throw new Error('nothing was written');
await hubspot.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (n) => n.toFixed(1);
console.log(`Express in-process, 16 KB page, cache hits: CPU µs per request, median (min–max) of ${ROUNDS} rounds of ${PER_ROUND}`);
console.log('| bare | control | with middleware | with − control | with / control |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
const [bare, control, identify] = [median(cpu.bare), median(cpu.control), median(cpu.identify)];
const range = (values) => `${fixed(Math.min(...values))}–${fixed(Math.max(...values))}`;
console.log(`| ${fixed(bare)} (${range(cpu.bare)}) | ${fixed(control)} (${range(cpu.control)}) | ${fixed(identify)} (${range(cpu.identify)}) | ${fixed(identify - control)} | ${(identify / control).toFixed(2)} |`);
