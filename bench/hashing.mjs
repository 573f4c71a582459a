// µs per call of the package's hashing (@noble/hashes, no node:crypto) beside node:crypto's, for the inputs it
// hashes: ~60-character visitor keys, ~40-character access tokens, the logout marker's HMAC; and TokenSource.get
// on a cache hit in memory. Run after `npm run build`: node bench/hashing.mjs; prints one JSON line.
import * as crypto from 'node:crypto';
import { hmacSha256Base64Url, sha256Base64Url, sha256Bytes } from '../dist/esm/src/hash.js';
import { TokenSource } from '../dist/esm/src/tokens/token-source.js';
import { accountOf } from '../dist/esm/src/tokens/visitor.js';

const ROUNDS = 7;
const CALLS = 50_000;
const KEYS = Array.from({ length: 64 }, (_, i) => `key\nAbCdEfGhIjKlMnOpQrStUv\nvisitor${i}@example-company.com`);
const TOKENS = Array.from({ length: 64 }, (_, i) => `pat-na1-${String(i).padStart(4, '0')}abcd-ef01-2345-6789-abcdef01`);
const MARKER_KEY = sha256Bytes('hubspot-identify logout marker\npat-na1-secret');

/** Median µs per call over ROUNDS rounds of CALLS calls. */
function measure(call) {
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) call(i & 63);
    rounds.push(((performance.now() - started) * 1000) / CALLS);
  }
  rounds.sort((a, b) => a - b);
  return Number(rounds[ROUNDS >> 1].toFixed(3));
}

const source = new TokenSource({
  mint: async () => ({ token: 'x'.repeat(500) }),
  now: Date.now,
  maxAge: 11 * 3600e3,
  refreshAfter: 6 * 3600e3,
  max: 10_000,
  timeout: 1500,
  callLimit: 10_000,
  refusedPause: 300_000,
  report: () => undefined,
  warn: () => undefined,
});
const account = accountOf('pat-bench');
const visitors = Array.from({ length: 64 }, (_, i) => ({ email: `visitor${i}@example.com` }));
for (const visitor of visitors) await source.get(account, 'pat-bench', visitor);

console.log(
  JSON.stringify({
    sha256Key: {
      noble: measure((i) => sha256Base64Url(KEYS[i])),
      nodeHash: measure((i) => crypto.hash('sha256', KEYS[i], 'base64url')),
      nodeCreateHash: measure((i) => crypto.createHash('sha256').update(KEYS[i]).digest('base64url')),
    },
    sha256AccessToken: {
      noble: measure((i) => sha256Base64Url(TOKENS[i], 22)),
      nodeHash: measure((i) => crypto.hash('sha256', TOKENS[i], 'base64url').slice(0, 22)),
    },
    hmacMarker: {
      noble: measure((i) => hmacSha256Base64Url(MARKER_KEY, KEYS[i], 22)),
      nodeCreateHmac: measure((i) => crypto.createHmac('sha256', MARKER_KEY).update(KEYS[i]).digest('base64url').slice(0, 22)),
    },
    tokenSourceHit: measure((i) => source.get(account, 'pat-bench', visitors[i])),
  }),
);
