// The token source's own promises: its clock is the injected one, its timers work where setTimeout returns a number.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentifier, type HubSpotIdentifyOptions, type StoredToken, type TokenStore } from '../../src/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';
import { HOUR, manualClock, memoryLogger, settle } from '../helpers/clock.js';

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

describe('the injected clock', () => {
  it('decides when a failed store is tried again, without real time passing (regression: Date.now)', async () => {
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

  it('a slow HubSpot renders the page anonymous within timeout, and the late token reaches the next page (regression: "timer.unref is not a function")', async () => {
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
