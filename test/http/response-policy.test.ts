// The rules every adapter applies to an identified response, as pure functions over headers.
import { describe, expect, it } from 'vitest';
import { headersOf } from '../helpers/headers.js';
import { dropConditionals, privateCacheControl } from '../../src/http/cache-headers.js';
import { makePrivate, privateHeaderValue, statusTakesScript } from '../../src/http/response-policy.js';

describe('statusTakesScript', () => {
  it.each([
    [200, true],
    [404, true],
    [500, true],
    [503, true],
    [204, false],
    [206, false],
    [301, false],
    [302, false],
    [304, false],
    [201, false],
  ])('%i → %s', (status, expected) => {
    expect(statusTakesScript(status)).toBe(expected);
  });
});

describe('makePrivate', () => {
  it('makes a public page private and drops CDN caching and validators', () => {
    const headers = headersOf({
      'Cache-Control': 'public, max-age=600, s-maxage=3600',
      'CDN-Cache-Control': 'max-age=60',
      'Surrogate-Control': 'max-age=60',
      ETag: '"v1"',
      'Last-Modified': 'Mon, 02 Nov 2026 10:00:00 GMT',
      'Content-Type': 'text/html',
    });
    makePrivate(headers);
    expect(headers.all).toEqual({ 'cache-control': 'private', 'content-type': 'text/html' });
  });

  it("drops every CDN's own caching header: Netlify's, Akamai's Edge-Control, any <vendor>-CDN-Cache-Control", () => {
    const headers = headersOf({
      'Cache-Control': 'public, max-age=600',
      'Netlify-CDN-Cache-Control': 'public, s-maxage=3600',
      'Edge-Control': 'cache-maxage=3600s',
      'Acme-CDN-Cache-Control': 'max-age=60',
      'Content-Type': 'text/html',
    });
    // Every adapter's headers can list their names, which is how a vendor's name not on the list is found.
    makePrivate({ ...headers, names: () => Object.keys(headers.all) });
    expect(headers.all).toEqual({ 'cache-control': 'private', 'content-type': 'text/html' });
    for (const name of ['Netlify-CDN-Cache-Control', 'edge-control', 'Acme-CDN-Cache-Control'])
      expect(privateHeaderValue(name, 'max-age=60'), name).toBeUndefined();
    expect(privateHeaderValue('X-Cache-Control-Note', 'kept')).toBe('kept');
  });

  it("keeps the app's no-store, made private and without lifetimes all the same", () => {
    expect(privateCacheControl('no-store')).toBe('private, no-store');
    expect(privateCacheControl('public, max-age=600, no-store')).toBe('private, no-store');
    expect(privateCacheControl('s-maxage=600, no-store')).toBe('private, no-store');
    expect(privateCacheControl(undefined)).toBe('private');
    expect(privateCacheControl(privateCacheControl('no-store, public'))).toBe('private, no-store');
  });

  it("a shared browser reused an identified page for the next visitor: every lifetime and Expires go, the app's revalidation directives stay", () => {
    expect(privateCacheControl('public, max-age=600')).toBe('private');
    expect(
      privateCacheControl(
        'Public, Max-Age=600, S-MaxAge=60, stale-while-revalidate=30, stale-if-error=60, immutable, private="Set-Cookie"',
      ),
    ).toBe('private');
    expect(privateCacheControl('max-age=0, no-cache, must-revalidate, proxy-revalidate, no-transform')).toBe(
      'private, no-cache, must-revalidate, proxy-revalidate, no-transform',
    );
    expect(privateCacheControl(['public', 'max-age=60, no-cache'])).toBe('private, no-cache');
    const headers = headersOf({ 'Cache-Control': 'max-age=600', Expires: 'Thu, 01 Jan 2099 00:00:00 GMT', 'Content-Type': 'text/html' });
    makePrivate(headers);
    expect(headers.all).toEqual({ 'cache-control': 'private', 'content-type': 'text/html' });
  });
});

describe('dropConditionals', () => {
  it('drops If-None-Match and If-Modified-Since, and nothing else', () => {
    const headers: Record<string, string> = {
      'if-none-match': '"v1"',
      'if-modified-since': 'Mon, 02 Nov 2026 10:00:00 GMT',
      'if-range': '"v1"',
      accept: 'text/html',
    };
    dropConditionals(headers);
    expect(headers).toEqual({ 'if-range': '"v1"', accept: 'text/html' });
  });
});
