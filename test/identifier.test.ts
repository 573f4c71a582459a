// The core against the fake HubSpot: identities, cache ages on a controlled clock, single flight, failures.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createIdentifier,
  type HubSpotIdentifyError,
  type HubSpotIdentifyOptions,
  type StoredToken,
  type TokenStore,
} from '../src/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { HOUR, manualClock, memoryLogger, settle } from './helpers/clock.js';

const SECRET = 'pat-na1-identifier-secret';
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
  const errors: HubSpotIdentifyError[] = [];
  const hs = createIdentifier({
    accessToken: SECRET,
    baseUrl: hubspot.baseUrl,
    now: clock.now,
    logger,
    onError: (error) => errors.push(error),
    ...options,
  });
  return { hs, clock, logger, errors };
}

/** The email the fake minted this token for: proves a response carries its own visitor's token. */
const ownerOf = (token: string) => hubspot.tokens.get(token);

describe('identify', () => {
  it('returns the identity with settings and a script tag carrying the nonce', async () => {
    const { hs } = setup();
    const identity = await hs.identify({ email: ' Ada@Example.com ', firstName: 'Ada', lastName: 'Lovelace' }, { nonce: 'n0nce' });
    expect(identity).not.toBeNull();
    expect(identity!.email).toBe('Ada@Example.com');
    expect(ownerOf(identity!.token)).toBe('Ada@Example.com');
    expect(identity!.settings).toEqual({
      identificationEmail: 'Ada@Example.com',
      identificationToken: identity!.token,
      loadImmediately: false,
    });
    expect(identity!.scriptTag).toMatch(/^<script data-hubspot-identify nonce="n0nce">/);
    expect(hubspot.calls).toEqual([
      {
        email: 'Ada@Example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        path: '/visitor-identification/2026-03/tokens/create',
        authorization: `Bearer ${SECRET}`,
      },
    ]);
  });

  it('takes null for no context or options, as it takes none', async () => {
    const { hs, errors } = setup();
    const identity = await hs.identify('ada@example.com', null);
    expect(identity).not.toBeNull();
    expect(hs.inject('<head></head>', identity, null)).toBe(`<head>${identity!.scriptTag}</head>`);
    expect(hs.injectBytes(Buffer.from('<head></head>'), identity, null).toString()).toBe(`<head>${identity!.scriptTag}</head>`);
    expect(hs.injectStream(identity!, null)).toBeInstanceOf(TransformStream);
    await hs.forget('ada@example.com', null);
    expect(errors).toEqual([]);
  });

  it('an accessToken function that never answers renders the page anonymous within timeout', async () => {
    const { hs, errors } = setup({ accessToken: () => new Promise<string>(() => undefined), timeout: 50 });
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(errors.map((error) => error.code)).toEqual(['HSI_TIMEOUT']);
    expect(hubspot.calls).toHaveLength(0);
  });

  it('an accessToken function that answers late leaves the token only what is left of timeout', async () => {
    const release = hubspot.hold();
    try {
      const { hs, errors } = setup({
        accessToken: () => new Promise<string>((resolve) => setTimeout(() => resolve(SECRET), 200)),
        timeout: 300,
      });
      // HubSpot is held: the page waits timeout in all (about 300 ms), not 200 ms and then the whole timeout again (500 ms).
      const started = performance.now();
      expect(await hs.identify('ada@example.com')).toBeNull();
      expect(performance.now() - started).toBeLessThan(450);
      expect(errors.map((error) => error.code)).toEqual(['HSI_TIMEOUT']);
    } finally {
      release();
    }
  });

  it('uses the date-versioned endpoint when apiVersion says so', async () => {
    const { hs } = setup({ apiVersion: '2026-03' });
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls[0]!.path).toBe('/visitor-identification/2026-03/tokens/create');
  });

  it('an anonymous visitor is null and costs no call', async () => {
    const { hs } = setup();
    expect(await hs.identify(null)).toBeNull();
    expect(await hs.identify(undefined)).toBeNull();
    expect(hubspot.calls).toHaveLength(0);
  });

  it.each([42, 'no-at-sign', 'ada\r\n@example.com', `${'a'.repeat(300)}@x.io`, { email: { toString: () => 'a@b.c' } }])(
    'invalid input %j is not sent to HubSpot and renders anonymous',
    async (input) => {
      const { hs, errors } = setup();
      expect(await hs.identify(input as never)).toBeNull();
      expect(hubspot.calls).toHaveLength(0);
      expect(errors.map((e) => e.code)).toEqual(['HSI_INVALID_VISITOR']);
    },
  );

  it('sends hostile names and emails to HubSpot intact, and makes them inert in the script', async () => {
    const { hs } = setup();
    const email = '"</script><script>window.pwned=1</script>"@x.io';
    const identity = await hs.identify({ email, firstName: '<img src=x onerror=alert(1)>', lastName: '\u2028' });
    expect(hubspot.calls[0]).toMatchObject({ email, firstName: '<img src=x onerror=alert(1)>' });
    expect(hubspot.calls[0]!.lastName).toBeUndefined();
    expect(identity!.scriptTag.match(/<\/script>/g)).toHaveLength(1);
  });

  it('200 concurrent cold requests for 20 visitors make exactly 20 HubSpot calls, each answered with its own token', async () => {
    hubspot.latencyMs = 30;
    const { hs } = setup();
    const emails = Array.from({ length: 20 }, (_, i) => `visitor${i}@example.com`);
    const requests = Array.from({ length: 200 }, (_, i) => emails[i % 20]!);
    const identities = await Promise.all(requests.map((email, i) => hs.identify(i % 2 ? email.toUpperCase() : email)));
    expect(hubspot.calls).toHaveLength(20);
    identities.forEach((identity, i) => {
      expect(identity, `request ${i}`).not.toBeNull();
      expect(ownerOf(identity!.token)!.toLowerCase()).toBe(requests[i]);
    });
  });

  it('keys the cache by trimmed, lower-cased email and by HubSpot account', async () => {
    const accounts: Record<string, string> = { a: 'pat-account-a', b: 'pat-account-b' };
    const { hs } = setup({ accessToken: (req) => accounts[req as string] });
    const first = await hs.identify('ada@example.com', { request: 'a' });
    expect((await hs.identify('  ADA@example.COM', { request: 'a' }))!.token).toBe(first!.token);
    expect(hubspot.calls).toHaveLength(1);
    const other = await hs.identify('ada@example.com', { request: 'b' });
    expect(other!.token).not.toBe(first!.token);
    expect(hubspot.calls.map((c) => c.authorization)).toEqual(['Bearer pat-account-a', 'Bearer pat-account-b']);
    expect(await hs.identify('ada@example.com', { request: 'unknown' })).toBeNull();
  });
});

describe('cache ages', () => {
  it('serves a cached token until refreshAfter without calling HubSpot', async () => {
    const { hs, clock } = setup();
    const first = await hs.identify('ada@example.com');
    clock.advance(6 * HOUR - 1);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    expect(hubspot.calls).toHaveLength(1);
  });

  it('past refreshAfter serves the cached token and refreshes once in the background', async () => {
    hubspot.latencyMs = 20;
    const { hs, clock } = setup();
    const first = await hs.identify('ada@example.com');
    clock.advance(6 * HOUR);
    const during = await Promise.all([hs.identify('ada@example.com'), hs.identify('ada@example.com')]);
    expect(during.map((i) => i!.token)).toEqual([first!.token, first!.token]);
    // Pages go on being served the cached token until the refresh lands, without another call.
    let after = during[0];
    while (after!.token === first!.token) {
      await settle(10);
      after = await hs.identify('ada@example.com');
    }
    expect(hubspot.calls).toHaveLength(2);
    expect(ownerOf(after!.token)).toBe('ada@example.com');
  });

  it('never serves a token at maxAge: the caller waits for a new one', async () => {
    const { hs, clock } = setup({ cache: { maxAge: 2 * HOUR, refreshAfter: HOUR } });
    const first = await hs.identify('ada@example.com');
    clock.advance(2 * HOUR);
    const second = await hs.identify('ada@example.com');
    expect(second!.token).not.toBe(first!.token);
    expect(hubspot.calls).toHaveLength(2);
  });

  it('a failed background refresh keeps serving the valid token and tries again next time', async () => {
    const { hs, clock } = setup();
    const first = await hs.identify('ada@example.com');
    clock.advance(7 * HOUR);
    hubspot.behave({ kind: 'status', status: 503 }, 1);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    await settle(30);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    await settle(30);
    expect(hubspot.calls).toHaveLength(3);
    expect((await hs.identify('ada@example.com'))!.token).not.toBe(first!.token);
  });
});

describe('failures render anonymous', () => {
  it('a visitor object whose getter throws (a proxy, a lazy ORM field) renders anonymous instead of rejecting', async () => {
    const { hs, errors } = setup();
    const throwing = {
      get email(): string {
        throw new Error('getter boom');
      },
    };
    await expect(hs.identify(throwing as never)).resolves.toBeNull();
    const named = {
      email: 'ada@example.com',
      get firstName(): string {
        throw new Error('name boom');
      },
    };
    await expect(hs.identify(named as never)).resolves.toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['HSI_INVALID_VISITOR', 'HSI_INVALID_VISITOR']);
    expect(errors[0]!.message).toContain('getter boom');
    expect(hubspot.calls).toHaveLength(0);
  });

  it('a slow HubSpot: null within timeout, and the late token is cached for the next page', async () => {
    const release = hubspot.hold();
    const minted = hubspot.tokens.size;
    const { hs, errors } = setup({ timeout: 50 });
    // HubSpot has not answered when identify() settles: the page did not wait for it.
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(hubspot.tokens.size).toBe(minted);
    expect(errors.map((e) => e.code)).toEqual(['HSI_TIMEOUT']);
    release();
    await settle(100);
    const later = await hs.identify('ada@example.com');
    expect(ownerOf(later!.token)).toBe('ada@example.com');
    expect(hubspot.calls).toHaveLength(1);
  });

  it('401 stops calls for a while and says once what to fix, without the token', async () => {
    const { hs, clock, logger, errors } = setup();
    hubspot.behave({ kind: 'status', status: 401 });
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(await hs.identify('bob@example.com')).toBeNull();
    expect(hubspot.calls).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['HSI_UNAUTHORIZED']);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(
      /HSI_UNAUTHORIZED: HubSpot refused the access token \(401\).*HUBSPOT_ACCESS_TOKEN.*conversations\.visitor_identification\.tokens\.create/,
    );
    expect(logger.lines.join()).not.toContain(SECRET);
    hubspot.behave({ kind: 'ok' });
    clock.advance(5 * 60 * 1000);
    expect(await hs.identify('bob@example.com')).not.toBeNull();
  });

  it('403 names the scope and the plan, once', async () => {
    const { hs, logger } = setup();
    hubspot.behave({ kind: 'status', status: 403 });
    await hs.identify('ada@example.com');
    await hs.identify('bob@example.com');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/403.*scope conversations\.visitor_identification\.tokens\.create.*Professional or Enterprise/);
  });

  it('429 waits as long as HubSpot says, then calls again', async () => {
    const { hs, clock } = setup();
    hubspot.behave({ kind: 'status', status: 429, headers: { 'retry-after': '2' } }, 1);
    expect(await hs.identify('ada@example.com')).toBeNull();
    clock.advance(1_999);
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(hubspot.calls).toHaveLength(1);
    clock.advance(1);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(2);
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 }, 'HSI_HUBSPOT_ERROR'],
    ['a 503', { kind: 'status', status: 503 }, 'HSI_HUBSPOT_ERROR'],
    ['bad JSON', { kind: 'bad-json' }, 'HSI_BAD_RESPONSE'],
    ['a reset connection', { kind: 'reset' }, 'HSI_NETWORK_ERROR'],
  ] as const)('%s renders anonymous, and the next page view tries again', async (_name, behaviour, code) => {
    const { hs, errors } = setup();
    hubspot.behave(behaviour, 1);
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(2);
  });

  it('an unreachable HubSpot renders anonymous', async () => {
    const closed = await startFakeHubSpot();
    await closed.close();
    const { hs, errors } = setup({ baseUrl: closed.baseUrl });
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(errors[0]!.code).toBe('HSI_NETWORK_ERROR');
    expect(errors[0]!.message).toContain('ECONNREFUSED');
  });

  it('a throwing onError or accessToken function never reaches the caller', async () => {
    const { hs } = setup({
      onError: () => {
        throw new Error('monitoring down');
      },
      accessToken: () => {
        throw new Error('vault down');
      },
    });
    await expect(hs.identify('ada@example.com')).resolves.toBeNull();
  });
});

describe('inject', () => {
  it('injects the identity, with another nonce on request, and leaves anonymous pages alone', async () => {
    const { hs } = setup();
    const identity = await hs.identify('ada@example.com');
    const page = '<html><head></head><body></body></html>';
    expect(hs.inject(page, identity)).toBe(page.replace('</head>', `${identity!.scriptTag}</head>`));
    expect(hs.inject(page, identity, { nonce: 'other' })).toContain('<script data-hubspot-identify nonce="other">');
    expect(hs.inject(page, null)).toBe(page);
  });

  it('says once when a page has nowhere to inject', async () => {
    const { hs, logger } = setup();
    const identity = await hs.identify('ada@example.com');
    hs.inject('<p>a</p>', identity);
    hs.inject('<p>b</p>', identity);
    expect(logger.lines.filter((l) => l.includes('HSI_NO_INSERTION_POINT'))).toHaveLength(1);
  });
});

/** A store in a Map, recording every key it is given. */
function mapStore(overrides: Partial<TokenStore> = {}) {
  const entries = new Map<string, StoredToken>();
  const keys: string[] = [];
  const store: TokenStore = {
    get: (key) => (keys.push(key), entries.get(key)),
    set: (key, entry) => void (keys.push(key), entries.set(key, entry)),
    delete: (key) => void entries.delete(key),
    ...overrides,
  };
  return { store, entries, keys };
}

const dailyLimit = {
  kind: 'status',
  status: 429,
  body: { status: 'error', message: 'daily limit', category: 'RATE_LIMITS', policyName: 'DAILY' },
} as const;

describe('one token, one visitor', () => {
  it('KELVIN SIGN gets its own token, not the one minted for kate', async () => {
    const { hs } = setup();
    const kate = await hs.identify('kate@x.io');
    const kelvin = await hs.identify('\u212Aate@x.io');
    expect(ownerOf(kelvin!.token)).toBe('\u212Aate@x.io');
    expect(kelvin!.token).not.toBe(kate!.token);
    expect(hubspot.calls).toHaveLength(2);
  });

  it('keys reach a store hashed, and entries hold no email', async () => {
    const { store, entries, keys } = mapStore();
    const { hs } = setup({ store });
    await hs.identify('ada@example.com');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify([...entries])).not.toMatch(/ada|example|secret/i);
  });

  it('an entry minted for another visitor is never served, whatever the store returns', async () => {
    const { store, entries } = mapStore();
    const { hs } = setup({ store: { ...store, get: () => entries.values().next().value } });
    const ada = await hs.identify('ada@example.com');
    const bob = await hs.identify('bob@example.com');
    expect(ownerOf(bob!.token)).toBe('bob@example.com');
    expect(bob!.token).not.toBe(ada!.token);
  });

  it('identity carries expiresAt: 12 hours after the token was made', async () => {
    const { hs, clock } = setup();
    const made = clock.now();
    const identity = await hs.identify('ada@example.com');
    clock.advance(HOUR);
    expect(identity!.expiresAt).toBe(made + 12 * HOUR);
    expect((await hs.identify('ada@example.com'))!.expiresAt).toBe(made + 12 * HOUR);
  });
});

describe('forget', () => {
  it('drops the cached token: the next page gets a new one', async () => {
    const { store, entries } = mapStore();
    const { hs } = setup({ store });
    const first = await hs.identify('ada@example.com');
    await hs.forget('ADA@example.com');
    expect(entries.size).toBe(0);
    const second = await hs.identify('ada@example.com');
    expect(second!.token).not.toBe(first!.token);
    expect(hubspot.calls).toHaveLength(2);
  });

  it('a token in flight when forget is called is not cached', async () => {
    hubspot.latencyMs = 50;
    const { hs } = setup();
    const pending = hs.identify('ada@example.com');
    await settle(10);
    await hs.forget('ada@example.com');
    await pending;
    await hs.identify('ada@example.com');
    expect(hubspot.calls).toHaveLength(2);
  });

  it('ignores invalid emails and never rejects', async () => {
    const { hs } = setup({
      store: mapStore({
        delete: () => {
          throw new Error('down');
        },
      }).store,
    });
    await expect(hs.forget('not an email')).resolves.toBeUndefined();
    await expect(hs.forget('ada@example.com')).resolves.toBeUndefined();
  });
});

describe('stores and hooks cannot hang or throw into a page', () => {
  it('a store whose get never resolves is bounded by timeout, said once, then memory serves', async () => {
    const { store } = mapStore({ get: () => new Promise(() => undefined) });
    const { hs, logger } = setup({ store, timeout: 100 });
    await hs.identify('ada@example.com');
    const identity = await hs.identify('ada@example.com');
    expect(ownerOf(identity!.token)).toBe('ada@example.com');
    expect(logger.lines.filter((line) => line.includes('HSI_STORE_UNAVAILABLE'))).toHaveLength(1);
  });

  it('a store whose set and lock hang still lets the late token reach the next page', async () => {
    const hang = () => new Promise<never>(() => undefined);
    const { store } = mapStore({ set: hang, lock: hang });
    const { hs } = setup({ store, timeout: 100 });
    await hs.identify('ada@example.com');
    await settle(250);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
  });

  it('a logger whose warn throws is contained, also inside the timeout timer', async () => {
    hubspot.latencyMs = 100;
    const logger = {
      warn: () => {
        throw new Error('logger down');
      },
    };
    const { hs } = setup({ logger, timeout: 20 });
    await expect(hs.identify('ada@example.com')).resolves.toBeNull();
    hubspot.behave({ kind: 'status', status: 401 });
    await expect(hs.identify('bob@example.com')).resolves.toBeNull();
    await settle(120);
  });

  it('an async onError that rejects is contained', async () => {
    const { hs } = setup({
      onError: async () => {
        throw new Error('monitoring down');
      },
    });
    hubspot.behave({ kind: 'status', status: 500 });
    await expect(hs.identify('ada@example.com')).resolves.toBeNull();
    await settle(10);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('vault down');
      },
    ],
    ['rejects', () => Promise.reject(new Error('vault down'))],
  ])('an accessToken function that %s is HSI_FUNCTION_FAILED, not HSI_NO_ACCESS_TOKEN', async (_name, accessToken) => {
    const { hs, errors } = setup({ accessToken });
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['HSI_FUNCTION_FAILED']);
  });
});

describe("HubSpot's limits", () => {
  it('429 DAILY: an hour at a time, one probe per hour, cached tokens served meanwhile but never past maxAge', async () => {
    const { hs, clock, logger } = setup({ cache: { maxAge: 2 * HOUR, refreshAfter: HOUR } });
    const first = await hs.identify('ada@example.com');
    clock.advance(HOUR);
    hubspot.behave(dailyLimit);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    await settle(30);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    expect(await hs.identify('bob@example.com')).toBeNull();
    clock.advance(HOUR - 60_000);
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    expect(hubspot.calls).toHaveLength(2);
    clock.advance(60_000);
    expect(await hs.identify('ada@example.com')).toBeNull();
    expect(await hs.identify('carol@example.com')).toBeNull();
    expect(hubspot.calls).toHaveLength(3);
    hubspot.behave({ kind: 'ok' });
    clock.advance(HOUR);
    expect(await hs.identify('bob@example.com')).not.toBeNull();
    expect(await hs.identify('carol@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(5);
    expect(logger.lines.filter((line) => line.includes('HSI_RATE_LIMITED'))).toHaveLength(1);
  });

  it('429 TEN_SECONDLY_ROLLING pauses for the interval header', async () => {
    const { hs, clock } = setup();
    hubspot.behave(
      {
        kind: 'status',
        status: 429,
        headers: { 'x-hubspot-ratelimit-interval-milliseconds': '7000' },
        body: { status: 'error', message: 'secondly', policyName: 'TEN_SECONDLY_ROLLING' },
      },
      1,
    );
    expect(await hs.identify('ada@example.com')).toBeNull();
    clock.advance(6_999);
    expect(await hs.identify('ada@example.com')).toBeNull();
    clock.advance(1);
    expect(await hs.identify('ada@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(2);
  });

  it('few calls left: background refreshes wait for the window, new visitors still get tokens', async () => {
    const { hs, clock } = setup();
    const first = await hs.identify('ada@example.com');
    clock.advance(7 * HOUR);
    const low = {
      'x-hubspot-ratelimit-max': '100',
      'x-hubspot-ratelimit-remaining': '3',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
    };
    hubspot.behave({ kind: 'status', status: 200, body: { token: 'low-budget' }, headers: low }, 2);
    expect(await hs.identify('bob@example.com')).not.toBeNull();
    expect((await hs.identify('ada@example.com'))!.token).toBe(first!.token);
    await settle(30);
    expect(hubspot.calls).toHaveLength(2);
    expect(await hs.identify('carol@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(3);
    clock.advance(10_000);
    await hs.identify('ada@example.com');
    await settle(30);
    expect(hubspot.calls).toHaveLength(4);
  });

  it('a 400 for an email is remembered for that visitor: no call per page view, for an hour or until forget', async () => {
    const { hs, clock, errors } = setup();
    hubspot.behave({ kind: 'status', status: 400, body: { status: 'error', message: 'Invalid email' } }, 1);
    expect(await hs.identify('odd@example.com')).toBeNull();
    expect(await hs.identify('odd@example.com')).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['HSI_VISITOR_REJECTED']);
    expect(await hs.identify('bob@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(2);
    clock.advance(HOUR);
    expect(await hs.identify('odd@example.com')).not.toBeNull();
    hubspot.behave({ kind: 'status', status: 400 }, 1);
    expect(await hs.identify('new@example.com')).toBeNull();
    await hs.forget('new@example.com');
    expect(await hs.identify('new@example.com')).not.toBeNull();
    expect(hubspot.calls).toHaveLength(5);
  });
});
