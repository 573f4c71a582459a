// The token source's own promises: its clock is the injected one, its timers work where setTimeout returns a number,
// a hit in memory hashes nothing, and an empty cache costs nothing whatever cache.max says.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentifier, type HubSpotIdentifyOptions, type StoredToken, type TokenStore } from '../../src/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';
import { HOUR, manualClock, memoryLogger, settle } from '../helpers/clock.js';

const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/hash.js', async (original) => {
  const hash = await original<typeof import('../../src/hash.js')>();
  return {
    ...hash,
    sha256Base64Url: (...args: Parameters<typeof hash.sha256Base64Url>) => (hashes.count++, hash.sha256Base64Url(...args)),
    sha256Bytes: (...args: Parameters<typeof hash.sha256Bytes>) => (hashes.count++, hash.sha256Bytes(...args)),
    hmacSha256Base64Url: (...args: Parameters<typeof hash.hmacSha256Base64Url>) => (hashes.count++, hash.hmacSha256Base64Url(...args)),
  };
});

const SECRET = 'pat-na1-token-source-secret';
let hubspot: FakeHubSpot;
beforeAll(async () => {
  hubspot = await startFakeHubSpot();
});
afterAll(() => hubspot.close());
beforeEach(() => {
  hubspot.reset();
  hubspot.latencyMs = 0;
});

function setup(options: HubSpotIdentifyOptions = {}) {
  const clock = manualClock();
  const logger = memoryLogger();
  const hs = createIdentifier({ accessToken: SECRET, baseUrl: hubspot.baseUrl, now: clock.now, logger, ...options });
  return { hs, clock, logger };
}

describe('a hit in memory', () => {
  it('computes no hash: keys are remembered per visitor, the account per access token', async () => {
    const { hs } = setup();
    await hs.identify('ada@example.com');
    await hs.identify('bob@example.com');
    const before = hashes.count;
    for (let page = 0; page < 10; page++) {
      expect(await hs.identify('ada@example.com')).not.toBeNull();
      expect(await hs.identify('bob@example.com')).not.toBeNull();
    }
    expect(hashes.count).toBe(before);
    expect(hubspot.calls).toHaveLength(2);
  });

  it('keeps serving each visitor only their own token when more visitors come than the cache holds', async () => {
    const { hs } = setup({ cache: { max: 2 } });
    const tokens = new Map<string, string>();
    for (const email of ['a@x.io', 'b@x.io', 'c@x.io', 'a@x.io', 'b@x.io']) {
      const identity = await hs.identify(email);
      expect(hubspot.tokens.get(identity!.token)).toBe(email);
      tokens.set(email, identity!.token);
    }
    // a was the least recently used when c came: it was dropped and minted again; b then dropped, and so on.
    expect(hubspot.calls.map((call) => call.email)).toEqual(['a@x.io', 'b@x.io', 'c@x.io', 'a@x.io', 'b@x.io']);
    expect((await hs.identify('b@x.io'))!.token).toBe(tokens.get('b@x.io'));
    expect((await hs.identify('a@x.io'))!.token).toBe(tokens.get('a@x.io'));
    expect(hubspot.calls).toHaveLength(5);
  });
});

describe('memory in proportion', () => {
  it('cache.max is a bound, not an allocation', () => {
    const used = () => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    const before = used();
    // Preallocated, two LRUs of 5,000,000 entries took hundreds of MB.
    const identifiers = Array.from({ length: 3 }, () =>
      createIdentifier({ accessToken: SECRET, baseUrl: hubspot.baseUrl, cache: { max: 5_000_000 }, logger: false }),
    );
    expect(used() - before).toBeLessThan(4 * 1024 * 1024);
    expect(identifiers).toHaveLength(3);
  });
});

describe('the injected clock', () => {
  it('decides when a failed store is tried again, without real time passing', async () => {
    let down = true;
    const entries = new Map<string, StoredToken>();
    let reads = 0;
    const store: TokenStore = {
      get: (key) => {
        reads++;
        if (down) throw new Error('down');
        return entries.get(key);
      },
      set: (key, entry) => void entries.set(key, entry),
      delete: (key) => void entries.delete(key),
    };
    const { hs, clock, logger } = setup({ store });
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(reads).toBe(1);
    down = false;
    await hs.identify('bob@example.com');
    expect(reads).toBe(1);
    clock.advance(2_000);
    await hs.identify('carol@example.com');
    expect(reads).toBeGreaterThan(1);
    expect(logger.lines.filter((line) => line.includes('HSI_STORE_UNAVAILABLE'))).toHaveLength(1);
  });

  it('decides when a peer that never finishes has held its lock long enough, without waiting it out for real', async () => {
    const store: TokenStore = {
      get: () => undefined,
      set: () => undefined,
      delete: () => undefined,
      // A peer holds every lock, and never writes a token nor unlocks.
      lock: async () => null,
      unlock: async () => undefined,
    };
    const { hs, clock } = setup({ store, timeout: 5_000 });
    const started = performance.now();
    const pending = hs.identify('ada@example.com');
    await settle(120);
    expect(hubspot.calls).toHaveLength(0);
    clock.advance(HOUR);
    const identity = await pending;
    expect(hubspot.tokens.get(identity!.token)).toBe('ada@example.com');
    // The lock lives callLimit + 3 timeouts + 1 s (over 20 s here) on the real clock.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('timers where setTimeout returns a number (Cloudflare Workers, browsers)', () => {
  const realSetTimeout = globalThis.setTimeout;
  beforeEach(() => {
    vi.stubGlobal('setTimeout', ((run: () => void, ms?: number) => Number(realSetTimeout(run, ms))) as unknown as typeof setTimeout);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('a slow HubSpot renders the page anonymous within timeout, and the late token reaches the next page', async () => {
    const { hs, logger } = setup({ timeout: 50 });
    hubspot.latencyMs = 150;
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(logger.lines.filter((line) => line.includes('HSI_TIMEOUT'))).toHaveLength(1);
    await settle(200);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(1);
  });

  it('a store that hangs is bounded by timeout, and memory serves meanwhile', async () => {
    const store: TokenStore = { get: () => new Promise(() => undefined), set: () => undefined, delete: () => undefined };
    const { hs, logger } = setup({ store, timeout: 50 });
    // The store's read took the whole timeout: this page goes out anonymous, the token is minted and kept in memory.
    expect(await hs.identify('ada@example.com')).toBeNull();
    await settle(100);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(1);
    expect(logger.lines.filter((line) => line.includes('HSI_STORE_UNAVAILABLE'))).toHaveLength(1);
  });
});
