// Minting against HubSpot faked with nock: the request it sends and every kind of answer it can get.
import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { isHubSpotIdentifyError, type HubSpotIdentifyError } from '../../src/errors.js';
import { mintToken, redact } from '../../src/tokens/hubspot-api.js';

const ORIGIN = 'https://api.hubapi.com';
const PATH = '/conversations/v3/visitor-identification/tokens/create';
const SECRET = 'pat-na1-secret-0000';

const mint = (overrides: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({
    fetch: (input, init) => globalThis.fetch(input, init),
    url: ORIGIN + PATH,
    accessToken: SECRET,
    visitor: { email: 'ada@example.com', firstName: 'Ada' },
    timeoutMs: 2_000,
    defaultRateLimitWaitMs: 10_000,
    dailyRateLimitWaitMs: 3_600_000,
    ...overrides,
  });

async function failure(promise: Promise<unknown>): Promise<HubSpotIdentifyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHubSpotIdentifyError(error)).toBe(true);
  const printed = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
  expect(printed).not.toContain(SECRET);
  return error as HubSpotIdentifyError;
}

describe('mintToken', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('POSTs the visitor as JSON with Bearer auth and returns the token', async () => {
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' } })
      .post(PATH, { email: 'ada@example.com', firstName: 'Ada' })
      .reply(200, { token: 'tok-1' });
    await expect(mint()).resolves.toEqual({ token: 'tok-1', lowBudgetMs: undefined });
    expect(scope.isDone()).toBe(true);
  });

  it('uses the date-versioned path when asked', async () => {
    const scope = nock(ORIGIN).post('/visitor-identification/2026-03/tokens/create').reply(200, { token: 'tok-dated' });
    await expect(mint({ url: `${ORIGIN}/visitor-identification/2026-03/tokens/create` })).resolves.toMatchObject({ token: 'tok-dated' });
    expect(scope.isDone()).toBe(true);
  });

  it('401: says the token is wrong and which scope it needs, with HubSpot details', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(401, { status: 'error', message: `bad token ${SECRET}`, correlationId: 'c-401', category: 'INVALID_AUTHENTICATION' });
    const error = await failure(mint());
    expect(error).toMatchObject({ code: 'HSI_UNAUTHORIZED', status: 401, correlationId: 'c-401', category: 'INVALID_AUTHENTICATION' });
    expect(error.message).toMatch(/wrong, expired or revoked.*conversations\.visitor_identification\.tokens\.create/);
    expect(error.message).toContain('[access token]');
  });

  it('403: names the scope and the Professional/Enterprise requirement', async () => {
    nock(ORIGIN).post(PATH).reply(403, { status: 'error', message: 'forbidden', correlationId: 'c-403', category: 'MISSING_SCOPES' });
    const error = await failure(mint());
    expect(error).toMatchObject({ code: 'HSI_FORBIDDEN', status: 403 });
    expect(error.message).toMatch(/scope conversations\.visitor_identification\.tokens\.create.*Professional or Enterprise/);
  });

  it.each([
    [{ 'retry-after': '3' }, 3_000],
    [{ 'x-hubspot-ratelimit-interval-milliseconds': '10000', 'x-hubspot-ratelimit-remaining': '0' }, 10_000],
    [{ 'x-hubspot-ratelimit-daily-remaining': '0' }, 3_600_000],
    [{}, 10_000],
  ])('429 with %j waits %i ms', async (headers, wait) => {
    nock(ORIGIN)
      .post(PATH)
      .reply(429, { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' }, headers);
    const error = await failure(mint());
    expect(error).toMatchObject({ code: 'HSI_RATE_LIMITED', status: 429, retryAfterMs: wait, category: 'RATE_LIMITS' });
  });

  it.each([
    ['TEN_SECONDLY_ROLLING', { 'x-hubspot-ratelimit-interval-milliseconds': '7000' }, 7_000],
    ['TEN_SECONDLY_ROLLING', {}, 10_000],
    ['DAILY', {}, 3_600_000],
    // DAILY waits an hour at a time whatever a shorter Retry-After says (regression: 2 s, six calls in 15 s), longer when it says longer.
    ['DAILY', { 'retry-after': '120' }, 3_600_000],
    ['DAILY', { 'retry-after': '7200' }, 7_200_000],
  ])('429 %s with %j pauses %i ms and names the policy', async (policyName, headers, wait) => {
    nock(ORIGIN).post(PATH).reply(429, { status: 'error', message: 'limit', category: 'RATE_LIMITS', policyName }, headers);
    const error = await failure(mint());
    expect(error).toMatchObject({ code: 'HSI_RATE_LIMITED', retryAfterMs: wait, policyName });
    expect(error.message).toMatch(policyName === 'DAILY' ? /daily limit.*cached tokens are served meanwhile/ : /TEN_SECONDLY_ROLLING/);
  });

  it.each([
    [
      { 'x-hubspot-ratelimit-max': '100', 'x-hubspot-ratelimit-remaining': '9', 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
      10_000,
    ],
    [{ 'x-hubspot-ratelimit-daily': '250000', 'x-hubspot-ratelimit-daily-remaining': '100' }, 3_600_000],
    [{ 'x-hubspot-ratelimit-max': '100', 'x-hubspot-ratelimit-remaining': '10' }, undefined],
    [{}, undefined],
  ])('a success with %j asks background refreshes to wait %s ms', async (headers, wait) => {
    nock(ORIGIN).post(PATH).reply(200, { token: 'tok' }, headers);
    expect(await mint()).toEqual({ token: 'tok', lowBudgetMs: wait });
  });

  it('400 is the visitor rejected, saying what to check', async () => {
    nock(ORIGIN).post(PATH).reply(400, { status: 'error', message: 'Invalid email', category: 'VALIDATION_ERROR' });
    const error = await failure(mint());
    expect(error).toMatchObject({ code: 'HSI_VISITOR_REJECTED', status: 400 });
    expect(error.message).toMatch(/rejected the visitor's email.*not sent again for an hour.*visitor option/);
  });

  it.each([500, 502, 503, 404])('%i is a HubSpot error', async (status) => {
    nock(ORIGIN).post(PATH).reply(status, 'upstream trouble');
    expect(await failure(mint())).toMatchObject({ code: 'HSI_HUBSPOT_ERROR', status });
  });

  it.each([
    ['bad JSON', '{"token":'],
    ['no token', { other: 1 }],
    ['an empty token', { token: '' }],
    ['a non-string token', { token: 42 }],
  ])('2xx with %s is a bad response', async (_name, body) => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, body as string);
    expect(await failure(mint())).toMatchObject({ code: 'HSI_BAD_RESPONSE', status: 200 });
  });

  it('a connection error is a network error', async () => {
    nock(ORIGIN).post(PATH).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    expect(await failure(mint())).toMatchObject({ code: 'HSI_NETWORK_ERROR' });
  });

  it("AbortSignal.timeout held every settled call's timer and signal for the whole timeout: the call's signal is let go once it is answered", async () => {
    let signal: AbortSignal | undefined;
    const answered = await mint({
      timeoutMs: 20,
      fetch: async (_input, init) => {
        signal = init?.signal ?? undefined;
        return new Response(JSON.stringify({ token: 'tok-fast' }), { status: 200 });
      },
    });
    expect(answered.token).toBe('tok-fast');
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Its timer was cleared when the call settled, so nothing is left to fire on it.
    expect(signal?.aborted).toBe(false);
  });

  it('a call past timeoutMs is abandoned as a time-out', async () => {
    nock(ORIGIN).post(PATH).delay(1_000).reply(200, { token: 'late' });
    expect(await failure(mint({ timeoutMs: 50 }))).toMatchObject({ code: 'HSI_TIMEOUT' });
  });
});

describe('error fields from HubSpot', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('never carry the access token on, whichever field of the body echoes it', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(500, { message: `token ${SECRET}`, correlationId: SECRET, category: SECRET });
    const error = await failure(mint());
    expect([error.correlationId, error.category, error.message].join(' ')).not.toContain(SECRET);
    nock(ORIGIN)
      .post(PATH)
      .reply(429, { policyName: SECRET, correlationId: `id-${SECRET}` });
    const limited = await failure(mint());
    expect([limited.policyName, limited.correlationId, limited.message].join(' ')).not.toContain(SECRET);
  });
});

describe('redact', () => {
  it('leaves a short token inside a longer word alone', () => {
    expect(redact('bad portal', 't')).toBe('bad portal');
    expect(redact('token t was refused', 't')).toBe('token [access token] was refused');
  });

  it('redacts a real token wherever it appears, standing alone or not', () => {
    const token = 'pat-na1-11111111-2222-3333-4444-555555555555';
    for (const message of [`Bearer ${token}`, `"${token}".`, `x${token}y`, `${token}${token}`, token]) {
      expect(redact(message, token)).not.toContain(token);
    }
    expect(redact(`a ${token} b`, token)).toBe('a [access token] b');
  });
});
