// One mint per visitor per refresh period across a fleet: seeded random interleavings on a real redis-server.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIdentifier, type Identifier } from '../../src/index.js';
import { RedisTokenStore } from '../../src/tokens/redis-store.js';
import { accountOf, emailKey, visitorKeys } from '../../src/tokens/visitor.js';
import { HOUR, settle } from '../helpers/clock.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const SECRET = 'pat-na1-fleet-secret';
const PREFIX = 'fleet:';
const SEED = Number(process.env['FLEET_SEED'] ?? 20261101);
const ROUNDS = Number(process.env['FLEET_ROUNDS'] ?? 200);
const CONCURRENT_ROUNDS = 25;

let redis: RedisServer;
let clients: [Redis, Redis, ReturnType<typeof createClient>];

beforeAll(async () => {
  redis = await startRedisServer();
  const io = () => new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const node = createClient({ url: redis.url });
  clients = [io(), io(), node];
  await Promise.all([node.connect(), clients[0].ping(), clients[1].ping()]);
});
afterAll(async () => {
  clients[0].disconnect();
  clients[1].disconnect();
  await clients[2].destroy();
  await redis.stop();
});

/** mulberry32: small, seeded, good enough to pick timings. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** HubSpot as a `fetch`: random latency, a new token per call, counting calls per visitor. */
function fakeHubSpot(rand: () => number) {
  const minted = new Map<string, string>();
  const calls = new Map<string, number>();
  let serial = 0;
  const fetch: typeof globalThis.fetch = async (_url, init) => {
    const { email } = JSON.parse(String(init!.body)) as { email: string };
    await new Promise((resolve, reject) => {
      setTimeout(resolve, rand() * 40);
      init!.signal?.addEventListener('abort', () => reject(init!.signal!.reason));
    });
    calls.set(emailKey(email), (calls.get(emailKey(email)) ?? 0) + 1);
    const token = `tok-${++serial}`;
    minted.set(token, email);
    return new Response(JSON.stringify({ token }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, minted, calls };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const giveUp = Date.now() + ms;
  while (!condition() && Date.now() < giveUp) await settle(5);
}

/**
 * One round: two or three servers (each its own clock, up to 1 s off), two visitors whose emails
 * differ only by KELVIN SIGN vs K, and three periods (cold, due for refresh, expired). In each period,
 * requests at random times on random servers, sometimes behind a lock left by a holder that died, or
 * with a stale holder unlocking late. Returns what went wrong.
 */
async function round(index: number, rand: () => number): Promise<string[]> {
  const problems: string[] = [];
  const hubspot = fakeHubSpot(rand);
  let shift = 0;
  const servers: Identifier[] = Array.from({ length: rand() < 0.5 ? 2 : 3 }, (_, i) => {
    const skew = (rand() * 2 - 1) * 1_000;
    return createIdentifier({
      accessToken: SECRET,
      store: new RedisTokenStore({ client: clients[i]!, prefix: PREFIX }),
      fetch: hubspot.fetch,
      now: () => Date.now() + shift + skew,
      timeout: 3_000,
      cache: { max: 100, maxAge: 11 * HOUR, refreshAfter: 6 * HOUR },
      logger: false,
    });
  });
  const lockStore = new RedisTokenStore({ client: clients[0], prefix: PREFIX });
  const visitors = [`kate${index}@x.io`, `\u212Aate${index}@x.io`];
  const periods = [
    ['cold', 0],
    ['due', 8 * HOUR],
    ['expired', 12 * HOUR],
  ] as const;

  for (const [n, [period, advance]] of periods.entries()) {
    shift += advance;
    await Promise.all(
      visitors.map(async (email) => {
        const { key } = visitorKeys(accountOf(SECRET), email);
        const obstacle = rand();
        if (obstacle < 0.25) {
          // A holder that died: its lock stays until it expires.
          await clients[0].set(`${PREFIX}l:${key}`, 'dead', 'PX', 20 + Math.floor(rand() * 60), 'NX');
        } else if (obstacle < 0.5) {
          // A stale holder: its lock expires, a live server takes one, then the stale one unlocks.
          const stale = await lockStore.lock(key, 20 + Math.floor(rand() * 40));
          if (stale) setTimeout(() => void lockStore.unlock(stale), 70 + rand() * 40);
        }
        const delays = Array.from({ length: 3 + Math.floor(rand() * 6) }, () => rand() * 120);
        delays.push(100 + rand() * 30); // one request after every obstacle has expired
        const served = await Promise.all(
          delays.map(async (delay) => {
            await settle(delay);
            const server = servers[Math.floor(rand() * servers.length)]!;
            return server.identify(rand() < 0.5 ? email : email.toUpperCase());
          }),
        );
        await until(() => (hubspot.calls.get(emailKey(email)) ?? 0) >= n + 1, 3_000);
        await settle(60);
        const where = `round ${index} ${period} ${JSON.stringify(email)}`;
        const calls = hubspot.calls.get(emailKey(email)) ?? 0;
        if (calls !== n + 1) problems.push(`${where}: ${calls} HubSpot calls in all, expected ${n + 1}`);
        for (const identity of served) {
          if (!identity) {
            if (period !== 'due') problems.push(`${where}: a page got no token`);
            continue;
          }
          const owner = hubspot.minted.get(identity.token);
          if (owner === undefined || emailKey(owner) !== emailKey(email))
            problems.push(`${where}: served a token minted for ${JSON.stringify(owner)}`);
        }
      }),
    );
  }
  return problems;
}

it(`one HubSpot call per visitor per refresh period, each token served only to its visitor, over ${ROUNDS} random rounds (seed ${SEED})`, async () => {
  const rand = random(SEED);
  const problems: string[] = [];
  for (let first = 0; first < ROUNDS; first += CONCURRENT_ROUNDS) {
    const batch = Array.from({ length: Math.min(CONCURRENT_ROUNDS, ROUNDS - first) }, (_, i) =>
      round(first + i, random(Math.floor(rand() * 2 ** 32))),
    );
    problems.push(...(await Promise.all(batch)).flat());
  }
  expect(problems).toEqual([]);
  expect(await clients[0].keys(`${PREFIX}l:*`)).toEqual([]);
}, 60_000);
