// Heap in proportion, after GC: per identifier with nothing cached (500 of them, default cache.max), and per
// cached visitor (10,000 visitors with HubSpot-sized tokens of about 500 characters).
// Run after `npm run build`: node --expose-gc bench/heap.mjs; prints one JSON line.
import { createIdentifier } from 'hubspot-identify';

const IDENTIFIERS = 500;
const VISITORS = 10_000;
const TOKEN_LENGTH = 500;
let minted = 0;
const token = () => `${String(++minted).padStart(8, '0')}.${'x'.repeat(TOKEN_LENGTH - 9)}`;
const fetch = async () =>
  new Response(JSON.stringify({ token: token() }), { status: 200, headers: { 'content-type': 'application/json' } });

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc bench/heap.mjs');

/** Heap in use once garbage is gone, finalization callbacks (which free timers) included. */
async function settle() {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

// One identifier per tenant: each with its own access token, as a multi-tenant app would make them.
const emptyBefore = await settle();
const identifiers = Array.from({ length: IDENTIFIERS }, (_, i) =>
  createIdentifier({ accessToken: `pat-tenant-${i}`, fetch, logger: false }),
);
const emptyAfter = await settle();

const hs = createIdentifier({ accessToken: 'pat-bench', fetch, logger: false });
const before = await settle();
for (let i = 0; i < VISITORS; i++) {
  const identity = await hs.identify({ email: `visitor${i}@example.com`, firstName: 'Ada', lastName: 'Lovelace' });
  if (!identity) throw new Error('no identity');
}
// A second pass is all cache hits: what stays is the cache, not the first pass's garbage.
for (let i = 0; i < VISITORS; i++) await hs.identify(`visitor${i}@example.com`);
const after = await settle();
// Every visitor is still a cache hit. Using `hs` after the measurement also keeps the cache alive
// through it: V8 may free what a module no longer uses, and did, which made earlier figures too low.
for (let i = 0; i < VISITORS; i++) await hs.identify(`visitor${i}@example.com`);
if (minted !== VISITORS) throw new Error(`the cache lost ${minted - VISITORS} visitors`);
// The empty identifiers too are used after both measurements, so that V8 cannot free them before.
if (identifiers.some((identifier) => typeof identifier.identify !== 'function')) throw new Error('an empty identifier went missing');
console.log(
  JSON.stringify({
    identifiers: IDENTIFIERS,
    bytesPerEmptyIdentifier: Math.round((emptyAfter - emptyBefore) / IDENTIFIERS),
    visitors: VISITORS,
    tokenLength: TOKEN_LENGTH,
    bytesPerVisitor: Math.round((after - before) / VISITORS),
    calls: minted,
  }),
);
