// Options: checked once at creation, every mistake a clear HSI_INVALID_OPTION, defaults in one place.
import { afterEach, describe, expect, it } from 'vitest';
import { createIdentifier, DEFAULTS, type HubSpotIdentifyError, isHubSpotIdentifyError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

const HOUR = 3_600_000;

function creationError(options: Parameters<typeof createIdentifier>[0]): HubSpotIdentifyError {
  try {
    createIdentifier(options);
  } catch (error) {
    expect(isHubSpotIdentifyError(error)).toBe(true);
    return error as HubSpotIdentifyError;
  }
  throw new Error('expected creation to fail');
}

describe('options', () => {
  const saved = process.env['HUBSPOT_ACCESS_TOKEN'];
  afterEach(() => {
    if (saved === undefined) delete process.env['HUBSPOT_ACCESS_TOKEN'];
    else process.env['HUBSPOT_ACCESS_TOKEN'] = saved;
  });

  it('fails at creation, with the fix, when no access token is set anywhere', () => {
    delete process.env['HUBSPOT_ACCESS_TOKEN'];
    const error = creationError({});
    expect(error.code).toBe('HSI_NO_ACCESS_TOKEN');
    expect(error.message).toMatch(/HUBSPOT_ACCESS_TOKEN is not set: pass accessToken or set the variable/);
  });

  it('says an empty accessToken is empty, rather than blaming the environment variable', () => {
    process.env['HUBSPOT_ACCESS_TOKEN'] = 'pat-from-env';
    const error = creationError({ accessToken: '' });
    expect(error.code).toBe('HSI_NO_ACCESS_TOKEN');
    expect(error.message).toMatch(/accessToken is an empty string/);
  });

  it('takes the token from HUBSPOT_ACCESS_TOKEN by default', () => {
    process.env['HUBSPOT_ACCESS_TOKEN'] = 'pat-from-env';
    expect(() => createIdentifier()).not.toThrow();
  });

  it('accepts a function of the request as access token without the variable', () => {
    delete process.env['HUBSPOT_ACCESS_TOKEN'];
    expect(() => createIdentifier({ accessToken: () => 'pat' })).not.toThrow();
  });

  it.each([
    [{ cache: { maxAge: 12 * HOUR } }, /cache.maxAge must be under 12 hours/],
    [{ cache: { maxAge: 13 * HOUR } }, /cache.maxAge must be under 12 hours/],
    [{ cache: { maxAge: 2 * HOUR, refreshAfter: 3 * HOUR } }, /refreshAfter .* must be less than cache.maxAge/],
    [{ cache: { max: 0 } }, /cache.max must be a positive integer/],
    [{ cache: { refreshAfter: -1 } }, /cache.refreshAfter must be a positive number/],
    [{ timeout: 0 }, /timeout must be a positive number/],
    [{ timeout: Number.NaN }, /timeout must be a positive number/],
    [{ baseUrl: 'not a url' }, /baseUrl must be an absolute http\(s\) URL/],
    [{ baseUrl: 'ftp://example.com' }, /baseUrl must use http or https/],
    [{ apiVersion: 'v4' }, /apiVersion must be a dated version such as '2026-03'/],
    [{ apiVersion: '2026-13' }, /apiVersion must be a dated version/],
    [{ timeout: '1500' }, /timeout must be a positive number of milliseconds, got "1500"/],
    [{ inject: 'yes' }, /inject must be true or false, got "yes"/],
    [{ resetOnLogout: 1 }, /resetOnLogout must be true or false, got 1/],
    [{ cache: 5 }, /cache must be an object, got 5/],
    [{ cache: { maxage: 1000 } }, /Unknown option cache.maxage: did you mean cache.maxAge\?/],
    [{ widget: { disableAttachment: 'true' } }, /widget.disableAttachment must be true or false, got "true"/],
    [
      { widget: { enableWidgetCookieBanner: 'ALWAYS' } },
      /widget.enableWidgetCookieBanner must be true, false, 'ON_WIDGET_LOAD' or 'ON_EXIT_INTENT'/,
    ],
    [{ widget: { inlineEmbedSelecter: '#chat' } }, /Unknown option widget.inlineEmbedSelecter: did you mean widget.inlineEmbedSelector\?/],
    [{ acessToken: 'pat' }, /Unknown option acessToken: did you mean accessToken\?/],
    [{ storage: {} }, /Unknown option storage/],
    [{ timeout: null }, /timeout is null: leave it out/],
    [{ tokenRoute: null }, /tokenRoute is null: leave it out/],
    [{ baseUrl: 'https://proxy.example/x?y=1' }, /baseUrl must be an origin \(and optional path\) without a query or fragment/],
    [{ tokenRoute: 'token' }, /tokenRoute must be a path starting with '\/'/],
    [{ visitor: 'req.user' }, /visitor must be a function/],
    [{ nonce: 42 }, /nonce must be a string or a function/],
    [{ logger: { log() {} } }, /logger must have a warn\(message\) method/],
    [{ store: {} }, /store must have get\(key\), set\(key, entry, ttlMs\)/],
    [{ accessToken: 42 }, /accessToken must be a string or a function/],
  ])('rejects %j at creation', (options, message) => {
    const error = creationError({ accessToken: 'pat', ...(options as object) });
    expect(error.code).toBe('HSI_INVALID_OPTION');
    expect(error.message).toMatch(message);
  });

  it('keeps every default in one object', () => {
    expect(DEFAULTS).toMatchObject({
      inject: true,
      loadImmediately: false,
      cache: { max: 10_000, maxAge: 11 * HOUR, refreshAfter: 6 * HOUR },
      timeout: 1_500,
      baseUrl: 'https://api.hubapi.com',
      apiVersion: '2026-03',
      resetOnLogout: true,
      tokenRoute: false,
    });
    const resolved = resolveOptions({ accessToken: 'pat' });
    expect(resolved.tokenUrl).toBe('https://api.hubapi.com/visitor-identification/2026-03/tokens/create');
    expect(resolved.cache).toEqual(DEFAULTS.cache);
  });

  it('selects the date-versioned path by option and strips a trailing slash from baseUrl', () => {
    expect(resolveOptions({ accessToken: 'pat', apiVersion: '2026-03', baseUrl: 'http://127.0.0.1:9/' }).tokenUrl).toBe(
      'http://127.0.0.1:9/visitor-identification/2026-03/tokens/create',
    );
  });

  it('keeps DEFAULTS unchangeable at runtime', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(Object.isFrozen(DEFAULTS.cache)).toBe(true);
    expect(() => {
      (DEFAULTS as { timeout: number }).timeout = 1;
    }).toThrow(TypeError);
    expect(resolveOptions({ accessToken: 'pat' }).timeout).toBe(1_500);
  });

  it('selects the legacy v3 path only when asked, and any YYYY-MM version', () => {
    expect(resolveOptions({ accessToken: 'pat', apiVersion: 'v3' }).tokenUrl).toBe(
      'https://api.hubapi.com/conversations/v3/visitor-identification/tokens/create',
    );
    expect(resolveOptions({ accessToken: 'pat', apiVersion: '2026-09' }).tokenUrl).toBe(
      'https://api.hubapi.com/visitor-identification/2026-09/tokens/create',
    );
  });

  it('derives refreshAfter from a shorter maxAge: the smaller of 6 h and maxAge / 2', () => {
    expect(resolveOptions({ accessToken: 'pat', cache: { maxAge: 2 * HOUR } }).cache).toEqual({
      max: 10_000,
      maxAge: 2 * HOUR,
      refreshAfter: HOUR,
    });
    expect(resolveOptions({ accessToken: 'pat', cache: { maxAge: 11.5 * HOUR } }).cache.refreshAfter).toBe(5.75 * HOUR);
    expect(resolveOptions({ accessToken: 'pat' }).cache.refreshAfter).toBe(6 * HOUR);
  });

  it('keeps widget settings that are set, and nothing else', () => {
    const { widget } = resolveOptions({
      accessToken: 'pat',
      widget: { disableAttachment: true, inlineEmbedSelector: '#chat', avoidInlineStyles: undefined },
    });
    expect(widget).toEqual({ disableAttachment: true, inlineEmbedSelector: '#chat' });
  });

  it('never prints the access token in an error', () => {
    const error = creationError({ accessToken: 'pat-secret-123', cache: { maxAge: 99 * HOUR } });
    expect(String(error) + JSON.stringify(error) + error.stack).not.toContain('pat-secret-123');
  });
});
