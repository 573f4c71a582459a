// The fake HubSpot API answers as HubSpot does: every token path, error bodies, rate-limit policies and headers.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';

let hubspot: FakeHubSpot;
beforeAll(async () => {
  hubspot = await startFakeHubSpot();
});
afterAll(() => hubspot.close());
beforeEach(() => hubspot.reset());

const mint = (path = '/visitor-identification/2026-03/tokens/create', email = 'ada@example.com') =>
  fetch(`${hubspot.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer pat', 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });

describe('startFakeHubSpot', () => {
  it.each([
    '/visitor-identification/2026-03/tokens/create',
    '/visitor-identification/2026-09/tokens/create',
    '/conversations/v3/visitor-identification/tokens/create',
    '/visitor-identification/v3/tokens/create',
  ])('mints a new token on %s, with the rate-limit headers', async (path) => {
    const first = await mint(path);
    const second = await mint(path);
    const { token } = (await first.json()) as { token: string };
    expect(first.status).toBe(200);
    expect(token).not.toBe(((await second.json()) as { token: string }).token);
    expect(hubspot.tokens.get(token)).toBe('ada@example.com');
    for (const name of ['max', 'remaining', 'interval-milliseconds', 'daily', 'daily-remaining']) {
      expect(first.headers.get(`x-hubspot-ratelimit-${name}`)).toMatch(/^\d+$/);
    }
  });

  it.each(['TEN_SECONDLY_ROLLING', 'DAILY'] as const)('answers 429 %s like HubSpot', async (policy) => {
    hubspot.behave({ kind: 'rate-limit', policy, intervalMs: 2000 }, 1);
    const response = await mint();
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({
      status: 'error',
      category: 'RATE_LIMITS',
      policyName: policy,
      message: expect.any(String),
      correlationId: expect.any(String),
    });
    expect(response.headers.get(policy === 'DAILY' ? 'x-hubspot-ratelimit-daily-remaining' : 'x-hubspot-ratelimit-remaining')).toBe('0');
    expect(response.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('2000');
    expect((await mint()).status).toBe(200);
  });

  it('answers 401 and 403 MISSING_SCOPES with HubSpot-shaped bodies', async () => {
    hubspot.behave({ kind: 'unauthorized' }, 1);
    const unauthorized = await mint();
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    hubspot.behave({ kind: 'forbidden' }, 1);
    const forbidden = await mint();
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ status: 'error', category: 'MISSING_SCOPES', correlationId: expect.any(String) });
  });

  it('counts its rate-limit headers down per 10-second window and per day, and rolls them over', async () => {
    const remaining = (response: Response) => [
      response.headers.get('x-hubspot-ratelimit-remaining'),
      response.headers.get('x-hubspot-ratelimit-daily-remaining'),
    ];
    const start = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(start);
    try {
      await mint();
      expect(remaining(await mint())).toEqual(['98', '249998']);
      clock.mockReturnValue(start + 10_000);
      expect(remaining(await mint())).toEqual(['99', '249997']);
      clock.mockReturnValue(start + 24 * 3_600_000);
      expect(remaining(await mint())).toEqual(['99', '249999']);
      hubspot.reset();
      expect(remaining(await mint())).toEqual(['99', '249999']);
    } finally {
      clock.mockRestore();
    }
  });

  it('serves a pure-ASCII loader', async () => {
    const loader = await (await fetch(hubspot.loaderUrl)).text();
    expect(loader).toMatch(/^[\x09\x0a\x20-\x7e]*$/);
  });
});
