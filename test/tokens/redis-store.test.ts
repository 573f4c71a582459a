// RedisTokenStore against a real redis-server, with ioredis and node-redis clients.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdentifier, type HubSpotIdentifyOptions } from '../../src/index.js';
import { RedisTokenStore } from '../../src/tokens/redis-store.js';
import { accountOf, visitorKeys } from '../../src/tokens/visitor.js';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';
import { HOUR, memoryLogger, settle } from '../helpers/clock.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const SECRET = 'pat-na1-redis-secret';
let redis: RedisServer;
let hubspot: FakeHubSpot;
let io: Redis;
let node: ReturnType<typeof createClient>;

beforeAll(async () => {
  [redis, hubspot] = await Promise.all([startRedisServer(), startFakeHubSpot()]);
  io = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  io.on('error', () => undefined);
  node = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } });
  node.on('error', () => undefined);
  await node.connect();
});
afterAll(async () => {
  io.disconnect();
  await node.destroy();
  await Promise.all([redis.stop(), hubspot.close()]);
});
beforeEach(async () => {
  hubspot.reset();
  hubspot.latencyMs = 0;
  await io.flushall();
});

function identifier(store: RedisTokenStore, options: HubSpotIdentifyOptions = {}) {
  const logger = memoryLogger();
  return { hs: createIdentifier({ accessToken: SECRET, baseUrl: hubspot.baseUrl, store, logger, ...options }), logger };
}

describe.each([
  ['ioredis', () => new RedisTokenStore({ client: io })],
  ['node-redis', () => new RedisTokenStore({ client: node })],
])('RedisTokenStore with %s', (_name, makeStore) => {
  it('keeps a token for the next page, under a key with no email and no secret, expiring by TTL', async () => {
    const { hs } = identifier(makeStore(), { cache: { maxAge: 2 * HOUR, refreshAfter: HOUR } });
    const first = await hs.identify('Ada@Example.com');
    const { hs: other } = identifier(makeStore());
    expect((await other.identify('ada@example.com'))!.token).toBe(first!.token);
    expect(hubspot.calls).toHaveLength(1);
    const keys = await io.keys('*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^hsi:t:[\w-]{43}$/);
    const ttl = await io.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(2 * HOUR - 5_000);
    expect(ttl).toBeLessThanOrEqual(2 * HOUR + 2_000);
    const value = await io.get(keys[0]!);
    expect(value).not.toContain('@');
    expect(value).not.toContain(SECRET);
  });
});

describe('a fleet sharing one Redis', () => {
  it('two identifiers (ioredis and node-redis) make one HubSpot call for one visitor', async () => {
    hubspot.latencyMs = 150;
    const a = identifier(new RedisTokenStore({ client: io })).hs;
    const b = identifier(new RedisTokenStore({ client: node })).hs;
    const identities = await Promise.all([
      a.identify('ada@example.com'),
      b.identify('ada@example.com'),
      a.identify('ada@example.com'),
      b.identify('ada@example.com'),
    ]);
    expect(hubspot.calls).toHaveLength(1);
    expect(new Set(identities.map((i) => i!.token)).size).toBe(1);
    expect(await io.keys('hsi:l:*')).toEqual([]);
  });

  it('a background refresh is done by one server, not each', async () => {
    let time = 0;
    const now = () => time;
    const a = identifier(new RedisTokenStore({ client: io }), { now }).hs;
    const b = identifier(new RedisTokenStore({ client: node }), { now }).hs;
    hubspot.latencyMs = 100;
    const first = await a.identify('ada@example.com');
    time += 6 * HOUR;
    const served = await Promise.all([a.identify('ada@example.com'), b.identify('ada@example.com')]);
    expect(served.map((i) => i!.token)).toEqual([first!.token, first!.token]);
    await settle(250);
    expect(hubspot.calls).toHaveLength(2);
    expect((await b.identify('ada@example.com'))!.token).not.toBe(first!.token);
  });

  it('a server whose peer died holding the lock mints itself once the lock expires', async () => {
    const { hs } = identifier(new RedisTokenStore({ client: io }));
    await holdLockLikeADeadPeer('ada@example.com', 300);
    const started = performance.now();
    const identity = await hs.identify('ada@example.com');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(hubspot.tokens.get(identity!.token)).toBe('ada@example.com');
    expect(hubspot.calls).toHaveLength(1);
  });
});

/** Takes the visitor's lock as a server that then died would: never released, expiring after `ms`. */
async function holdLockLikeADeadPeer(email: string, ms: number): Promise<void> {
  // Learn the visitor's key from a throwaway identifier's entry, then leave only a lock under it.
  await createIdentifier({
    accessToken: SECRET,
    baseUrl: hubspot.baseUrl,
    store: new RedisTokenStore({ client: io }),
    logger: false,
  }).identify(email);
  await settle(20);
  const [tokenKey] = await io.keys('hsi:t:*');
  await io.flushall();
  hubspot.reset();
  expect(await io.set(tokenKey!.replace('hsi:t:', 'hsi:l:'), 'dead-peer', 'PX', ms, 'NX')).toBe('OK');
}

describe('a Redis outage', () => {
  afterEach(async () => {
    await redis.start().catch(() => undefined);
  });

  it('keeps pages identified from memory and HubSpot, says so once, and recovers on restart', async () => {
    const store = new RedisTokenStore({ client: io, commandTimeout: 200 });
    const { hs, logger } = identifier(store);
    const before = await hs.identify('ada@example.com');
    await redis.kill();

    const started = performance.now();
    expect((await hs.identify('ada@example.com'))!.token).toBe(before!.token);
    expect(await hs.identify('bob@example.com')).not.toBeNull();
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(logger.lines.filter((l) => l.includes('HSI_STORE_UNAVAILABLE'))).toHaveLength(1);
    expect(hubspot.calls).toHaveLength(2);

    await redis.start();
    await settle(2_100);
    await hs.identify('carol@example.com');
    await settle(100);
    expect(await io.keys('hsi:t:*')).toHaveLength(1);
  });
});

describe('RedisTokenStore itself', () => {
  it.each([
    [{}],
    [{ client: {} }],
    [{ client: { call: async () => 'OK' }, prefix: 42 }],
    [{ client: { sendCommand: async () => 'OK' }, commandTimeout: 0 }],
  ])('bad arguments %j are HSI_INVALID_OPTION naming the fix, not TypeError', (options) => {
    expect(() => new RedisTokenStore(options as never)).toThrow(
      expect.objectContaining({ code: 'HSI_INVALID_OPTION', message: expect.stringMatching(/RedisTokenStore/) }),
    );
  });

  it('a stale holder unlocking late does not free the lock a peer took since', async () => {
    const store = new RedisTokenStore({ client: io });
    const stale = await store.lock('k', 30);
    await settle(50);
    const live = await store.lock('k', 5_000);
    expect(live).not.toBeNull();
    await store.unlock(stale!);
    expect(await store.lock('k', 5_000)).toBeNull();
    await store.unlock(live!);
    expect(await store.lock('k', 5_000)).not.toBeNull();
  });

  it('delete drops the entry, and forget reaches Redis', async () => {
    const { hs } = identifier(new RedisTokenStore({ client: io }));
    await hs.identify('ada@example.com');
    expect(await io.keys('hsi:t:*')).toHaveLength(1);
    await hs.forget('ada@example.com');
    expect(await io.keys('hsi:t:*')).toEqual([]);
  });

  it('entries name their visitor `owner`; ones the previous release wrote as `visitor` are still served', async () => {
    const { hs } = identifier(new RedisTokenStore({ client: io }));
    const { key, owner } = visitorKeys(accountOf(SECRET), 'ada@example.com');
    await io.set(
      `hsi:t:${key}`,
      JSON.stringify({ token: 'written-by-the-previous-release', createdAt: Date.now(), visitor: owner }),
      'PX',
      60_000,
    );
    expect((await hs.identify('ada@example.com'))!.token).toBe('written-by-the-previous-release');
    expect(hubspot.calls).toHaveLength(0);
    await hs.identify('bob@example.com');
    const written = JSON.parse((await io.get(`hsi:t:${visitorKeys(accountOf(SECRET), 'bob@example.com').key}`))!) as Record<
      string,
      unknown
    >;
    expect(Object.keys(written).sort()).toEqual(['createdAt', 'owner', 'token']);
  });

  it('an entry from another visitor stored under this key is not served', async () => {
    const { hs } = identifier(new RedisTokenStore({ client: io }));
    await hs.identify('ada@example.com');
    await hs.identify('bob@example.com');
    const [a, b] = await io.keys('hsi:t:*');
    await io.set(a!, (await io.get(b!))!);
    await io.set(b!, (await io.get(a!))!);
    const served = await Promise.all([hs.identify('ada@example.com'), hs.identify('bob@example.com')]);
    expect(served.map((identity) => hubspot.tokens.get(identity!.token))).toEqual(['ada@example.com', 'bob@example.com']);
  });
});
