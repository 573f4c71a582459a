// npm run bench: the middleware's cost as ratios against the same app without it, measured side by side in one run.
// Knobs: BENCH_SECONDS and BENCH_ROUNDS (per side, after one warm-up round), BENCH_FRAMEWORKS (express,koa,fastify,hono),
// BENCH_PAGE_BYTES (16 KB), BENCH_ASCII=1 (a page without multi-byte characters), BENCH_MIN_BUSY (0.95) and
// BENCH_BUDGET_MS (per injection case, bench/injection.mjs); BENCH_ROUNDS also sets bench/hot-path.mjs's rounds.
import { execFile, execFileSync, fork } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { request } from 'node:http';
import { createIdentifier } from 'hubspot-identify';
import { startFakeHubSpot } from 'hubspot-identify/testing';
import { load } from './load.mjs';
import { STREAM_DELAY_MS } from './page.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = 8;
/** A round in which a server used less of its core than this is discarded: the client, not the server, was the limit. */
const MIN_BUSY = Number(process.env.BENCH_MIN_BUSY ?? 0.95);
const MODES = ['bare', 'control', 'control2', 'noinject', 'identify'];
/** The server each mode runs (bench/servers.mjs). */
const SERVER_MODE = { bare: 'bare', control: 'printed', control2: 'printed', noinject: 'identify-noinject', identify: 'identify' };
const VISITORS = Array.from({ length: 50 }, (_, i) => `visitor${i}@example.com`);
const frameworks = (process.env.BENCH_FRAMEWORKS ?? 'express,koa,fastify,hono').split(',');

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const fixed = (n, digits = 2) => n.toFixed(digits);

// With two cores or more, servers run on the last core and the load generator on the others, so
// that neither steals the other's time; CPU time per request is read from /proc where there is one.
const pinned =
  availableParallelism() >= 2 &&
  (() => {
    try {
      execFileSync('taskset', ['-V']);
      return true;
    } catch {
      return false;
    }
  })();
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
process.on('exit', () => {
  for (const child of children) child.kill();
});

function startServer(framework, mode, baseUrl) {
  return new Promise((resolve, reject) => {
    const pin = pinned ? { execPath: 'taskset', execArgv: ['-c', serverCore, process.execPath] } : {};
    const child = fork(new URL('./servers.mjs', import.meta.url), [framework, mode], {
      ...pin,
      env: { ...process.env, HUBSPOT_BASE_URL: baseUrl },
      stdio: 'inherit',
    });
    children.add(child);
    child.once('message', ({ port }) => {
      child.disconnect();
      resolve({
        port,
        pid: child.pid,
        stop: () => {
          children.delete(child);
          child.kill();
        },
      });
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
      res.on('data', (chunk) => {
        firstByte ??= performance.now() - started;
        body += chunk;
      });
      res.on('end', () => resolve({ body, headers: res.headers, firstByte, total: performance.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The page loads a round sends: each visitor's, with the logout-marker cookie their first page set,
 * as a browser sends it back, so cache hits are measured in their steady state.
 */
const pageLoads = (markers) =>
  VISITORS.map((email, i) => ({
    path: '/',
    headers: { accept: 'text/html', 'x-user': email, ...(markers[i] ? { cookie: markers[i] } : {}) },
  }));

/** One measured round against one server: requests per second, server CPU µs per request, and how busy the server was. */
async function round(server, requests) {
  const cpuBefore = cpuMs(server.pid);
  const result = await load({ port: server.port, connections: CONNECTIONS, seconds: SECONDS, requests });
  if (result.failed) throw new Error(`${server.label}: ${result.failed} non-2xx answers`);
  const cpu = cpuMs(server.pid) - cpuBefore;
  return { rps: result.completed / result.seconds, cpu: (cpu * 1000) / result.completed, busy: cpu / (result.seconds * 1000) };
}

const spread = (values) => `${fixed(Math.min(...values))}–${fixed(Math.max(...values))}`;

/**
 * Per framework: the bare app, the control app (bare + a same-size script printed by the app), a
 * second control app in the middleware's slot (A/A: the method's own noise), and the app with the
 * middleware on cache hits. Rounds are interleaved, their order rotated, the first one discarded as
 * warm-up, and a round in which a server was under MIN_BUSY of its core is discarded too.
 */
async function throughput(hubspot) {
  const rows = [];
  for (const framework of frameworks) {
    const servers = {};
    for (const mode of MODES) {
      servers[mode] = await startServer(framework, SERVER_MODE[mode], hubspot.baseUrl);
      servers[mode].label = `${framework} ${mode}`;
    }
    // Warm the token cache, check that the identified app really injects, and keep each visitor's marker cookie.
    const markers = [];
    for (const email of VISITORS) {
      const { body, headers } = await get(servers.identify.port, '/', { accept: 'text/html', 'x-user': email });
      if (!body.includes('data-hubspot-identify')) throw new Error(`${framework}: the identified app did not inject`);
      markers.push((headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0]).join('; '));
      const plain = await get(servers.noinject.port, '/', { accept: 'text/html', 'x-user': email });
      if (plain.body.includes('data-hubspot-identify') || plain.headers['cache-control'] !== 'private')
        throw new Error(`${framework}: the inject: false app did not make the page private without injecting`);
    }
    const requests = pageLoads(markers);
    const kept = Object.fromEntries(MODES.map((mode) => [mode, []]));
    let discarded = 0;
    for (let index = 0; index <= ROUNDS; index++) {
      const order = [...MODES.slice(index % MODES.length), ...MODES.slice(0, index % MODES.length)];
      const results = {};
      for (const mode of order) results[mode] = await round(servers[mode], requests);
      if (index === 0) continue; // warm-up
      if (Object.values(results).some((result) => result.busy < MIN_BUSY)) {
        discarded++;
        continue;
      }
      for (const mode of MODES) kept[mode].push(results[mode]);
    }
    for (const server of Object.values(servers)) server.stop();
    // A machine too loaded to measure this framework: say so in its row, and go on with the others.
    if (kept.bare.length === 0) {
      rows.push({ framework, rounds: 0, discarded });
      continue;
    }
    // Ratios are taken within a round (the sides ran back to back), then summarised across rounds.
    const ratios = (of, to, field) => kept[of].map((result, i) => result[field] / kept[to][i][field]);
    rows.push({
      framework,
      rounds: kept.bare.length,
      discarded,
      cpu: Object.fromEntries(MODES.map((mode) => [mode, median(kept[mode].map((r) => r.cpu))])),
      rps: Object.fromEntries(MODES.map((mode) => [mode, median(kept[mode].map((r) => r.rps))])),
      busy: Math.min(...MODES.flatMap((mode) => kept[mode].map((r) => r.busy))),
      cpuVsControl: ratios('identify', 'control', 'cpu'),
      rpsVsBare: ratios('identify', 'bare', 'rps'),
      aaCpu: ratios('control2', 'control', 'cpu'),
      aaRps: ratios('control2', 'control', 'rps'),
    });
  }
  return rows;
}

async function hubspotCalls(hubspot) {
  const HOUR = 3_600_000;
  const rows = [];
  for (const [label, span] of [
    ['1,000 views in 1 hour', HOUR],
    ['1,000 views over 24 hours', 24 * HOUR],
  ]) {
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
    // The first 10 of each are warm-up (a fresh process runs unoptimised code), not counted.
    for (let i = -10; i < 40; i++) {
      const [bareFirst, identifyFirst] = [
        (await get(bare.port, '/stream', headers)).firstByte,
        (await get(identified.port, '/stream', headers)).firstByte,
      ];
      if (i < 0) continue;
      samples.bare.push(bareFirst);
      samples.identify.push(identifyFirst);
    }
    bare.stop();
    identified.stop();
    rows.push({
      framework,
      bare: median(samples.bare),
      identify: median(samples.identify),
      bareP99: percentile(samples.bare, 0.99),
      identifyP99: percentile(samples.identify, 0.99),
    });
  }
  return rows;
}

/**
 * Heap per cached visitor, each sample in a process of its own so nothing else is on its heap: the
 * median of three, run side by side (each mostly waits for its mint signals to expire).
 */
async function heapPerVisitor() {
  const samples = await Promise.all(
    Array.from({ length: 3 }, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', new URL('./heap.mjs', import.meta.url).pathname], {
        encoding: 'utf8',
      });
      return JSON.parse(stdout.trim().split('\n').pop());
    }),
  );
  return {
    ...samples[0],
    bytesPerVisitor: median(samples.map((sample) => sample.bytesPerVisitor)),
    bytesPerEmptyIdentifier: median(samples.map((sample) => sample.bytesPerEmptyIdentifier)),
    samples: samples.map((sample) => sample.bytesPerVisitor),
  };
}

/** One token call to the fake HubSpot from here, as a server's fetch makes it: HubSpot's latency as its clients see it. */
async function hubspotRoundTrip(hubspot, email) {
  const started = performance.now();
  const response = await fetch(`${hubspot.baseUrl}/visitor-identification/2026-03/tokens/create`, {
    method: 'POST',
    headers: { authorization: 'Bearer pat-bench', 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  await response.json();
  return performance.now() - started;
}

/**
 * The first page of a visitor not yet cached waits for HubSpot: how much longer than the bare page
 * plus HubSpot's round trip, measured beside it (the fake's nominal latency plus its own and fetch's
 * time, which are not the package's). Both servers first serve WARM_COLD_PAGES uncounted cold pages
 * with HubSpot answering at once: a fresh process's first pages load fetch and run unoptimised code,
 * which measured 5-10 ms of the old figure and is not what a running server pays.
 */
const WARM_COLD_PAGES = 200;

async function coldPath(hubspot) {
  const LATENCY = 20;
  const rows = [];
  for (const framework of frameworks) {
    const bare = await startServer(framework, 'bare', hubspot.baseUrl);
    const identified = await startServer(framework, 'identify', hubspot.baseUrl);
    const samples = { bare: [], identify: [], roundTrip: [] };
    for (let i = -WARM_COLD_PAGES; i < 30; i++) {
      hubspot.latencyMs = i < 0 ? 0 : LATENCY;
      const headers = { accept: 'text/html', 'x-user': `cold-${framework}-${i}@example.com` };
      const bareTotal = (await get(bare.port, '/', headers)).total;
      const { body, total } = await get(identified.port, '/', headers);
      if (!body.includes('data-hubspot-identify')) throw new Error(`${framework}: a cold page was not identified`);
      const roundTrip = await hubspotRoundTrip(hubspot, `direct-${framework}-${i}@example.com`);
      if (i < 0) continue;
      samples.bare.push(bareTotal);
      samples.identify.push(total);
      samples.roundTrip.push(roundTrip);
    }
    hubspot.latencyMs = 0;
    bare.stop();
    identified.stop();
    const [bareMs, identifyMs, roundTripMs] = [median(samples.bare), median(samples.identify), median(samples.roundTrip)];
    rows.push({
      framework,
      latency: LATENCY,
      bare: bareMs,
      identify: identifyMs,
      roundTrip: roundTripMs,
      extra: identifyMs - bareMs - roundTripMs,
      nominalExtra: identifyMs - bareMs - LATENCY,
    });
  }
  return rows;
}

const hubspot = await startFakeHubSpot();
console.log(
  `hubspot-identify benchmarks: Node ${process.version}, ${SECONDS} s x ${ROUNDS} rounds per side after a warm-up round, ${CONNECTIONS} keep-alive connections (bench/load.mjs)\n`,
);

const pages = await throughput(hubspot);
console.log(
  `Cache hits on a 16 KB HTML page with multi-byte text, 50 visitors${pinned ? '; server pinned to its own core, load on the other' : ''}.`,
);
console.log('Server CPU per request (all its threads) is the main figure; medians of the kept rounds, with the min–max across rounds.');
console.log("A/A: a second copy of the control app in the middleware's slot, the method's own noise. A goal is called met or missed");
console.log('only when the median ratio is farther from it than the widest A/A ratio is from 1; otherwise it is within A/A noise.\n');
console.log(
  '| framework | rounds kept (discarded) | server busy ≥ | CPU µs/req bare | control | with middleware | with / control (spread) | A/A CPU (spread) | target ≤ 1.05 | req/s bare | with | with / bare (spread) | A/A req/s (spread) | target ≥ 0.95 |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |');
for (const row of pages) {
  if (row.rounds === 0) {
    console.log(
      `| ${row.framework} | 0 (${row.discarded}) | under ${MIN_BUSY * 100}% in every round: not measured, the machine is too loaded (lower BENCH_MIN_BUSY to see figures anyway) |`,
    );
    continue;
  }
  const cpuRatio = median(row.cpuVsControl);
  const rpsRatio = median(row.rpsVsBare);
  // A goal is judged only when the A/A noise (its widest ratio) is smaller than the distance to it.
  const noise = (ratios) => Math.max(...ratios.map((ratio) => Math.abs(ratio - 1)));
  const verdict = (ratio, target, met, aa) =>
    Math.abs(ratio - target) <= noise(aa) ? `within A/A noise (±${fixed(noise(aa) * 100, 0)}%)` : met ? 'met' : 'missed';
  console.log(
    `| ${row.framework} | ${row.rounds} (${row.discarded}) | ${fixed(row.busy * 100, 0)}% | ${fixed(row.cpu.bare, 1)} | ${fixed(row.cpu.control, 1)} | ${fixed(row.cpu.identify, 1)} | ${fixed(cpuRatio)} (${spread(row.cpuVsControl)}) | ${fixed(median(row.aaCpu))} (${spread(row.aaCpu)}) | ${verdict(cpuRatio, 1.05, cpuRatio <= 1.05, row.aaCpu)} | ${fixed(row.rps.bare, 0)} | ${fixed(row.rps.identify, 0)} | ${fixed(rpsRatio)} (${spread(row.rpsVsBare)}) | ${fixed(median(row.aaRps))} (${spread(row.aaRps)}) | ${verdict(rpsRatio, 0.95, rpsRatio >= 0.95, row.aaRps)} |`,
  );
}

console.log(
  "\nWhere the middleware's CPU goes (µs per request, medians of the kept rounds): identifying the visitor and applying the header rules,",
);
console.log('measured as the app with `inject: false` against the bare app (the same page bytes); then the injection (scanning the page,');
console.log(
  "splicing and encoding it), as what the full middleware costs beyond that and beyond the script's own bytes (control − bare)\n",
);
console.log(
  '| framework | bare | with, inject: false | identification + header rules | injection | total over the control | 5% of the control |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of pages) {
  if (row.rounds === 0) continue;
  const { bare, control, noinject, identify } = row.cpu;
  console.log(
    `| ${row.framework} | ${fixed(bare, 1)} | ${fixed(noinject, 1)} | ${fixed(noinject - bare, 1)} | ${fixed(identify - noinject - (control - bare), 1)} | ${fixed(identify - control, 1)} | ${fixed(control * 0.05, 1)} |`,
  );
}

console.log(
  '\nThe same per framework without sockets (bench/hot-path.mjs, in a process of its own; visitors send back their marker cookie): steadier on a busy machine,',
);
console.log("without the network's share of the request, so the ratio is the middleware's cost against the app's own work\n");
execFileSync(process.execPath, [new URL('./hot-path.mjs', import.meta.url).pathname], { stdio: 'inherit' });

console.log(
  '\nInjection alone (bench/injection.mjs, in a process of its own): pathological pages at 256 KB and 1 MB (time per byte stays flat: linear),',
);
console.log('then normal pages against a plain concatenation at a known index, both encoded to the bytes sent\n');
execFileSync(process.execPath, [new URL('./injection.mjs', import.meta.url).pathname], { stdio: 'inherit' });

console.log('\nHubSpot calls for 1,000 page views of 50 visitors (refreshAfter 6 h)');
console.log('| views | calls with the middleware | minting per request | one per visitor per period |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of await hubspotCalls(hubspot)) console.log(`| ${row.label} | ${row.calls} | ${row.perRequest} | ${row.bound} |`);

console.log(`\nFirst byte of a streamed page (head at once, rest after ${STREAM_DELAY_MS} ms), median of 40 after 10 uncounted`);
console.log('| framework | bare ms | with middleware ms | difference ms | bare p99 ms | with p99 ms |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of await firstByte(hubspot)) {
  console.log(
    `| ${row.framework} | ${fixed(row.bare)} | ${fixed(row.identify)} | ${fixed(row.identify - row.bare)} | ${fixed(row.bareP99)} | ${fixed(row.identifyP99)} |`,
  );
}

console.log(
  `\nCold path: the first page of an uncached visitor, the fake HubSpot answering after 20 ms (median of 30, after ${WARM_COLD_PAGES} uncounted cold pages)`,
);
console.log(
  '| framework | bare ms | with middleware ms | HubSpot round trip ms (fetch from the bench) | beyond bare + round trip ms | beyond bare + 20 ms | target ≤ 2 (beyond the round trip) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const row of await coldPath(hubspot)) {
  console.log(
    `| ${row.framework} | ${fixed(row.bare)} | ${fixed(row.identify)} | ${fixed(row.roundTrip)} | ${fixed(row.extra)} | ${fixed(row.nominalExtra)} | ${row.extra <= 2 ? 'met' : 'missed'} |`,
  );
}

const heap = await heapPerVisitor();
console.log(
  `\nMemory: ${heap.visitors.toLocaleString('en')} cached visitors with ${heap.tokenLength}-character tokens: ${fixed(heap.bytesPerVisitor / 1024)} KB of heap per visitor, median of ${heap.samples.length} processes (${heap.samples.map((bytes) => fixed(bytes / 1024)).join(', ')}) (target under 3 KB): ${heap.bytesPerVisitor < 3072 ? 'met' : 'missed'}`,
);
console.log(
  `Memory: an identifier with nothing cached (${heap.identifiers} of them, default cache.max): ${fixed(heap.bytesPerEmptyIdentifier / 1024)} KB of heap each (target under 20 KB): ${heap.bytesPerEmptyIdentifier < 20 * 1024 ? 'met' : 'missed'}`,
);

await hubspot.close();
