// npm run bench: the middleware's cost as ratios against the same app without it, measured side by side in one run.
// Knobs: BENCH_SECONDS and BENCH_ROUNDS (per side), BENCH_FRAMEWORKS (express,koa,fastify),
// BENCH_PAGE_BYTES (16 KB) and BENCH_ASCII=1 (a page without multi-byte characters).
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { request } from 'node:http';
import autocannon from 'autocannon';
import { createIdentifier } from 'hubspot-identify';
import { startFakeHubSpot } from 'hubspot-identify/testing';
import { pageOfSize, STREAM_DELAY_MS } from './page.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;
const VISITORS = Array.from({ length: 50 }, (_, i) => `visitor${i}@example.com`);
const frameworks = (process.env.BENCH_FRAMEWORKS ?? 'express,koa,fastify').split(',');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const fixed = (n, digits = 2) => n.toFixed(digits);

// With two cores or more, servers run on the last core and the load generator on the others, so
// that neither steals the other's time; CPU time per request is read from /proc where there is one.
const pinned = availableParallelism() >= 2 && (() => { try { execFileSync('taskset', ['-V']); return true; } catch { return false; } })();
const serverCore = String(availableParallelism() - 1);
if (pinned) execFileSync('taskset', ['-a', '-p', '-c', `0-${availableParallelism() - 2}`, String(process.pid)], { stdio: 'ignore' });

function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

// Servers are child processes: end them however this process ends, so a failed run never hangs.
const children = new Set();
process.on('exit', () => { for (const child of children) child.kill(); });

function startServer(framework, mode, baseUrl) {
  return new Promise((resolve, reject) => {
    const pin = pinned ? { execPath: 'taskset', execArgv: ['-c', serverCore, process.execPath] } : {};
    const child = fork(new URL('./servers.mjs', import.meta.url), [framework, mode], { ...pin, env: { ...process.env, HUBSPOT_BASE_URL: baseUrl }, stdio: 'inherit' });
    children.add(child);
    child.once('message', ({ port }) => {
      child.disconnect();
      resolve({ port, pid: child.pid, stop: () => { children.delete(child); child.kill(); } });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${framework} ${mode} server exited ${code}`)));
  });
}

function get(port, path, headers) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte;
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => { firstByte ??= performance.now() - started; body += chunk; });
      res.on('end', () => resolve({ body, firstByte, total: performance.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

const load = (port) => autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: CONNECTIONS,
  duration: SECONDS,
  requests: VISITORS.map((email) => ({ method: 'GET', path: '/', headers: { accept: 'text/html', 'x-user': email } })),
});

async function throughput(hubspot) {
  const rows = [];
  for (const framework of frameworks) {
    const bare = await startServer(framework, 'bare', hubspot.baseUrl);
    const printed = await startServer(framework, 'printed', hubspot.baseUrl);
    const identified = await startServer(framework, 'identify', hubspot.baseUrl);
    // Warm the token cache, and check that the identified app really injects.
    for (const email of VISITORS) {
      const { body } = await get(identified.port, '/', { accept: 'text/html', 'x-user': email });
      if (!body.includes('data-hubspot-identify')) throw new Error(`${framework}: the identified app did not inject`);
    }
    const servers = { bare, printed, identify: identified };
    for (const server of Object.values(servers)) await load(server.port);
    const results = { bare: [], printed: [], identify: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that drift on the machine falls on every side.
      const modes = ['bare', 'printed', 'identify'];
      const order = [...modes.slice(round % 3), ...modes.slice(0, round % 3)];
      for (const mode of order) {
        const server = servers[mode];
        const cpuBefore = cpuMs(server.pid);
        const result = await load(server.port);
        const cpu = cpuBefore === undefined ? undefined : ((cpuMs(server.pid) - cpuBefore) * 1000) / result.requests.total;
        if (result.non2xx || result.errors) throw new Error(`${framework} ${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        results[mode].push({ rps: result.requests.average, p99: result.latency.p99, cpu });
      }
    }
    for (const server of Object.values(servers)) server.stop();
    const rps = { bare: median(results.bare.map((r) => r.rps)), printed: median(results.printed.map((r) => r.rps)), identify: median(results.identify.map((r) => r.rps)) };
    const p99 = { bare: median(results.bare.map((r) => r.p99)), identify: median(results.identify.map((r) => r.p99)) };
    const cpu = { bare: median(results.bare.map((r) => r.cpu ?? NaN)), identify: median(results.identify.map((r) => r.cpu ?? NaN)) };
    rows.push({ framework, rps, p99, cpu, ratio: rps.identify / rps.bare });
  }
  return rows;
}

function injectionCost() {
  const hs = createIdentifier({ accessToken: 'pat-bench', logger: false });
  const identity = {
    email: 'ada@example.com',
    token: 'x'.repeat(200),
    settings: { identificationEmail: 'ada@example.com', identificationToken: 'x'.repeat(200), loadImmediately: false },
  };
  identity.scriptTag = hs.inject('<head></head>', { ...identity, scriptTag: '' }, { nonce: null }).replace(/<\/?head>/g, '');
  const rows = [];
  for (const [label, bytes] of [['2 KB', 2 * 1024], ['100 KB', 100 * 1024], ['1 MB', 1024 * 1024]]) {
    const html = pageOfSize(bytes);
    const at = html.indexOf('<script type="text/javascript" id="hs-script-loader"');
    const time = (fn) => {
      let n = 0;
      let sink = 0;
      const budget = 400;
      const started = performance.now();
      while (performance.now() - started < budget) {
        for (let i = 0; i < 20; i++) sink += fn().length;
        n += 20;
      }
      if (sink === 0) throw new Error('unreachable');
      return ((performance.now() - started) * 1e6) / n;
    };
    // Both sides end as the bytes a server writes: V8 concatenates lazily, so a string alone would hide the copy.
    time(() => Buffer.from(hs.inject(html, identity)));
    const concat = time(() => Buffer.from(html.slice(0, at) + identity.scriptTag + html.slice(at)));
    const inject = time(() => Buffer.from(hs.inject(html, identity)));
    rows.push({ label, inject, concat, ratio: inject / concat });
  }
  return rows;
}

async function hubspotCalls(hubspot) {
  const HOUR = 3_600_000;
  const rows = [];
  for (const [label, span] of [['1,000 views in 1 hour', HOUR], ['1,000 views over 24 hours', 24 * HOUR]]) {
    hubspot.reset();
    let time = 0;
    const hs = createIdentifier({ accessToken: 'pat-bench', baseUrl: hubspot.baseUrl, logger: false, now: () => time });
    for (let view = 0; view < 1000; view++) {
      time = Math.floor((view * span) / 1000);
      const identity = await hs.identify(VISITORS[(view * 7) % VISITORS.length]);
      if (!identity) throw new Error('no identity');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const periods = Math.ceil(span / (6 * HOUR));
    rows.push({ label, calls: hubspot.calls.length, perRequest: 1000, bound: VISITORS.length * periods });
  }
  return rows;
}

async function firstByte(hubspot) {
  const rows = [];
  for (const framework of frameworks) {
    const bare = await startServer(framework, 'bare', hubspot.baseUrl);
    const identified = await startServer(framework, 'identify', hubspot.baseUrl);
    const headers = { accept: 'text/html', 'x-user': 'ada@example.com' };
    const { body } = await get(identified.port, '/stream', headers);
    if (!body.includes('data-hubspot-identify')) throw new Error(`${framework}: the streamed page was not injected`);
    const samples = { bare: [], identify: [] };
    for (let i = 0; i < 40; i++) {
      samples.bare.push((await get(bare.port, '/stream', headers)).firstByte);
      samples.identify.push((await get(identified.port, '/stream', headers)).firstByte);
    }
    bare.stop();
    identified.stop();
    rows.push({
      framework,
      bare: median(samples.bare), identify: median(samples.identify),
      bareP99: percentile(samples.bare, 0.99), identifyP99: percentile(samples.identify, 0.99),
    });
  }
  return rows;
}

const hubspot = await startFakeHubSpot();
console.log(`hubspot-identify benchmarks: Node ${process.version}, ${SECONDS} s x ${ROUNDS} rounds per side, ${CONNECTIONS} connections, 50 visitors (cache hits)\n`);

const pages = await throughput(hubspot);
console.log(`Throughput of a 16 KB HTML page, identified visitors on cache hits (median of rounds${pinned ? '; server pinned to its own core' : ''})`);
console.log('| framework | bare req/s | with middleware req/s | ratio | bare p99 ms | with p99 ms | bare CPU µs/req | with CPU µs/req | target 0.95 | control: bare app printing a same-size script, req/s (ratio) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
for (const row of pages) {
  console.log(`| ${row.framework} | ${fixed(row.rps.bare, 0)} | ${fixed(row.rps.identify, 0)} | ${fixed(row.ratio)} | ${row.p99.bare} | ${row.p99.identify} | ${fixed(row.cpu.bare, 0)} | ${fixed(row.cpu.identify, 0)} | ${row.ratio >= 0.95 ? 'met' : 'missed'} | ${fixed(row.rps.printed, 0)} (${fixed(row.rps.printed / row.rps.bare)}) |`);
}

console.log('\nInjection cost per page, against a plain string concatenation at a known index (both encoded to the bytes sent)');
console.log('| page | inject µs | concatenation µs | ratio |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of injectionCost()) console.log(`| ${row.label} | ${fixed(row.inject / 1000, 1)} | ${fixed(row.concat / 1000, 1)} | ${fixed(row.ratio, 1)} |`);

console.log('\nHubSpot calls for 1,000 page views of 50 visitors (refreshAfter 6 h)');
console.log('| views | calls with the middleware | minting per request | one per visitor per period |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of await hubspotCalls(hubspot)) console.log(`| ${row.label} | ${row.calls} | ${row.perRequest} | ${row.bound} |`);

console.log(`\nFirst byte of a streamed page (head at once, rest after ${STREAM_DELAY_MS} ms), median of 40`);
console.log('| framework | bare ms | with middleware ms | difference ms | bare p99 ms | with p99 ms |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of await firstByte(hubspot)) {
  console.log(`| ${row.framework} | ${fixed(row.bare)} | ${fixed(row.identify)} | ${fixed(row.identify - row.bare)} | ${fixed(row.bareP99)} | ${fixed(row.identifyP99)} |`);
}

await hubspot.close();
