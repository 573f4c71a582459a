// Heap per cached visitor: 10,000 visitors with HubSpot-sized tokens (about 500 characters), after GC.
// Run with --expose-gc; prints one JSON line.
import { createIdentifier } from 'hubspot-identify';

const VISITORS = 10_000;
const TOKEN_LENGTH = 500;
/** The HubSpot call's time limit (requestTimeout), and a margin. */
const MINT_SIGNAL_MS = 10_500;
let minted = 0;
const token = () => `${String(++minted).padStart(8, '0')}.${'x'.repeat(TOKEN_LENGTH - 9)}`;
const fetch = async () => new Response(JSON.stringify({ token: token() }), { status: 200, headers: { 'content-type': 'application/json' } });

const hs = createIdentifier({ accessToken: 'pat-bench', fetch, logger: false });
/** Heap in use once garbage is gone, finalization callbacks (which free timers) included. */
async function settle() {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}
const before = await settle();
for (let i = 0; i < VISITORS; i++) {
  const identity = await hs.identify({ email: `visitor${i}@example.com`, firstName: 'Ada', lastName: 'Lovelace' });
  if (!identity) throw new Error('no identity');
}
// A second pass is all cache hits: what stays is the cache, not the first pass's garbage.
for (let i = 0; i < VISITORS; i++) await hs.identify(`visitor${i}@example.com`);
// Each HubSpot call's abort signal (AbortSignal.timeout) lives until its timer fires, 10 s after the
// call: about 700 bytes a visitor that belong to minting, not to the cache. Measured once they are gone.
await new Promise((resolve) => setTimeout(resolve, MINT_SIGNAL_MS));
const after = await settle();
// Every visitor is still a cache hit. Using `hs` after the measurement also keeps the cache alive
// through it: V8 may free what a module no longer uses, and did, which made earlier figures too low.
for (let i = 0; i < VISITORS; i++) await hs.identify(`visitor${i}@example.com`);
if (minted !== VISITORS) throw new Error(`the cache lost ${minted - VISITORS} visitors`);
console.log(JSON.stringify({ visitors: VISITORS, tokenLength: TOKEN_LENGTH, bytesPerVisitor: (after - before) / VISITORS, calls: minted }));
