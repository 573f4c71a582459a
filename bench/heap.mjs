// Heap per cached visitor: 10,000 visitors with HubSpot-sized tokens (about 500 characters), after GC.
// Run with --expose-gc; prints one JSON line.
import { createIdentifier } from 'hubspot-identify';

const VISITORS = 10_000;
const TOKEN_LENGTH = 500;
let minted = 0;
const token = () => `${String(++minted).padStart(8, '0')}.${'x'.repeat(TOKEN_LENGTH - 9)}`;
const fetch = async () => new Response(JSON.stringify({ token: token() }), { status: 200, headers: { 'content-type': 'application/json' } });

const hs = createIdentifier({ accessToken: 'pat-bench', fetch, logger: false });
const settle = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
const before = settle();
for (let i = 0; i < VISITORS; i++) {
  const identity = await hs.identify({ email: `visitor${i}@example.com`, firstName: 'Ada', lastName: 'Lovelace' });
  if (!identity) throw new Error('no identity');
}
// A second pass is all cache hits: what stays is the cache, not the first pass's garbage.
for (let i = 0; i < VISITORS; i++) await hs.identify(`visitor${i}@example.com`);
const after = settle();
console.log(JSON.stringify({ visitors: VISITORS, tokenLength: TOKEN_LENGTH, bytesPerVisitor: (after - before) / VISITORS, calls: minted }));
