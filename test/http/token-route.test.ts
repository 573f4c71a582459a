// Who tokenRoute answers: same-origin fetch() and non-browser clients; every other browser request is refused with a reason.
import { describe, expect, it } from 'vitest';
import { TOKEN_ROUTE_HEADERS, tokenRouteRefusal, type OwnOrigin } from '../../src/http/token-route.js';

/** The check over a plain header map, names looked up lower-cased as the adapters give them. */
const refusal = (headers: Record<string, string>, own: OwnOrigin = { host: 'shop.example', secure: true }) =>
  tokenRouteRefusal((name) => headers[name], own);

// What Chromium sends with identifyWidget's fetch('/hubspot/token', { credentials: 'same-origin' }).
const SAME_ORIGIN_FETCH = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };

describe('tokenRouteRefusal', () => {
  it.each([
    ['a client that is not a browser (no Sec-Fetch-*, no Origin)', {}],
    ["identifyWidget's same-origin fetch, which sends no Origin on GET", SAME_ORIGIN_FETCH],
    ['a same-origin POST with its Origin', { ...SAME_ORIGIN_FETCH, origin: 'https://shop.example' }],
    ['Sec-Fetch-Site none (user-initiated) with an empty destination', { 'sec-fetch-site': 'none', 'sec-fetch-dest': 'empty' }],
    ['header values in upper case and with spaces', { 'sec-fetch-site': ' Same-Origin ', 'sec-fetch-dest': 'EMPTY' }],
    ['an Origin with the default port spelled out', { origin: 'https://shop.example:443' }],
    ['an Origin whose host differs only in case', { origin: 'https://SHOP.example' }],
  ])('passes %s', (_name, headers) => {
    expect(refusal(headers)).toBeUndefined();
  });

  it.each([
    ['cross-site', { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'empty' }, /Sec-Fetch-Site is "cross-site"/],
    ['same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site', 'sec-fetch-dest': 'empty' }, /Sec-Fetch-Site is "same-site"/],
    ['an empty Sec-Fetch-Site', { 'sec-fetch-site': '' }, /Sec-Fetch-Site/],
    [
      'a <script src> of the route, even same-origin',
      { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'script' },
      /Sec-Fetch-Dest is "script"/,
    ],
    ['a navigation to the route', { 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' }, /Sec-Fetch-Dest is "document"/],
    ['a frame', { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'iframe' }, /Sec-Fetch-Dest is "iframe"/],
    ['Origin: null (a sandboxed frame, a data: URL)', { origin: 'null' }, /Origin "null"/],
    ['another host', { origin: 'https://evil.example' }, /Origin "https:\/\/evil.example" is not/],
    ['a sibling subdomain', { origin: 'https://a.shop.example' }, /is not/],
    ['another port', { origin: 'https://shop.example:8443' }, /is not/],
    ['an Origin with a path', { origin: 'https://shop.example/page' }, /is not/],
    ['an Origin with user info', { origin: 'https://evil@shop.example' }, /is not/],
    ['an Origin of another scheme', { origin: 'chrome-extension://abc' }, /is not/],
    ['an http Origin on a site known to be https', { origin: 'http://shop.example' }, /is http; the site is https/],
    [
      'a matching Origin with a cross-site Sec-Fetch-Site',
      { origin: 'https://shop.example', 'sec-fetch-site': 'cross-site' },
      /Sec-Fetch-Site/,
    ],
  ])('refuses %s', (_name, headers, reason) => {
    expect(refusal(headers)).toMatch(reason);
  });

  describe('behind a TLS-terminating proxy, where the request looks like http', () => {
    const looksHttp = { host: 'shop.example', secure: false };

    it('accepts the https Origin of the same authority, and an http one', () => {
      expect(refusal({ origin: 'https://shop.example' }, looksHttp)).toBeUndefined();
      expect(refusal({ origin: 'http://shop.example' }, looksHttp)).toBeUndefined();
      expect(refusal({ origin: 'https://shop.example' }, { host: 'shop.example:443', secure: false })).toBeUndefined();
      expect(refusal({ origin: 'https://shop.example' }, { host: 'shop.example', secure: undefined })).toBeUndefined();
    });

    it('still compares host and port', () => {
      expect(refusal({ origin: 'https://evil.example' }, looksHttp)).toMatch(/is not/);
      expect(refusal({ origin: 'https://shop.example:80' }, looksHttp)).toMatch(/is not/);
      expect(refusal({ origin: 'http://shop.example:8080' }, { host: 'shop.example:8080', secure: false })).toBeUndefined();
      expect(refusal({ origin: 'http://[::1]:3000' }, { host: '[::1]:3000', secure: false })).toBeUndefined();
    });
  });

  it('refuses an Origin it cannot compare, when the request has no Host', () => {
    expect(refusal({ origin: 'https://shop.example' }, { host: undefined, secure: true })).toMatch(/no Host/);
    expect(refusal({}, { host: undefined, secure: undefined })).toBeUndefined();
  });

  it('quotes a long hostile value shortened, on one line', () => {
    const reason = refusal({ origin: `https://${'x'.repeat(500)}.example` })!;
    expect(reason.length).toBeLessThan(200);
    expect(reason).not.toContain('\n');
  });
});

describe('TOKEN_ROUTE_HEADERS', () => {
  it('are no-store, nosniff, and vary with the cookie and every header the check reads', () => {
    expect(TOKEN_ROUTE_HEADERS).toEqual({
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Cookie, Origin, Sec-Fetch-Site, Sec-Fetch-Dest',
    });
    expect(Object.isFrozen(TOKEN_ROUTE_HEADERS)).toBe(true);
  });
});
