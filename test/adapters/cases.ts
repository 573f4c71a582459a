// One table of cases, run against every framework's adapter.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubSpotIdentifyError, HubSpotIdentifyOptions } from '../../src/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';
import { memoryLogger } from '../helpers/clock.js';
import { FRAGMENT, NONCE_HEADER, PAGE, PLAIN, USER_HEADER } from '../helpers/pages.js';
import { createHash } from 'node:crypto';
import {
  ASSET,
  ASSET_HEADERS,
  PARTIAL_RANGE,
  PUBLIC_HEADERS,
  STRICT_CSP,
  VALIDATED_HEADERS,
  type AppUnderTest,
  type Harness,
  type RequestOptions,
  type TestResponse,
} from './harness.js';

const ADA = JSON.stringify({ email: 'ada@example.com', firstName: 'Ada', last_name: 'Lovelace' });
const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
// The script ends by calling its page function with (window, settings, reset): the settings are that JSON.
const SCRIPT = /<script data-hubspot-identify[^>]*>[^<]*\}\)\(window,(\{[^<]*?\}),(?:true|false)\);<\/script>/;

/** The settings the page's script gives the widget. */
function settingsIn(html: string): Record<string, unknown> | undefined {
  const match = SCRIPT.exec(html);
  return match ? JSON.parse(match[1]!) : undefined;
}

/** Waits until `condition` holds (bounded: the test's own timeout ends a wait that never does). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

export function runSharedCases(harness: Harness): void {
  describe(`${harness.name}: shared adapter cases`, () => {
    let hubspot: FakeHubSpot;
    let app: AppUnderTest | undefined;
    let logger: ReturnType<typeof memoryLogger>;
    let errors: HubSpotIdentifyError[];

    beforeAll(async () => {
      hubspot = await startFakeHubSpot();
    });
    afterAll(() => hubspot.close());
    beforeEach(() => {
      hubspot.reset();
      hubspot.latencyMs = 0;
      logger = memoryLogger();
      errors = [];
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
      // A page that did not wait for its token (a redirect, JSON) leaves the call running: let it land in its own test.
      hubspot.reset();
      await hubspot.idle();
    });

    async function start(options: HubSpotIdentifyOptions<any, any> = {}): Promise<AppUnderTest> {
      app = await harness.start({ accessToken: 'pat-test', baseUrl: hubspot.baseUrl, logger, onError: (e) => errors.push(e), ...options });
      return app;
    }

    const get = (target: AppUnderTest, path: string, user: string | null = ADA, options: RequestOptions = {}): Promise<TestResponse> =>
      target.request(path, {
        ...options,
        headers: { accept: HTML_ACCEPT, ...(user === null ? {} : { [USER_HEADER]: user }), ...options.headers },
      });

    function expectIdentified(response: TestResponse, email = 'ada@example.com'): void {
      expect(response.status).toBe(200);
      const settings = settingsIn(response.text);
      expect(settings, 'script injected').toBeDefined();
      expect(settings!['identificationEmail']).toBe(email);
      expect(hubspot.tokens.get(settings!['identificationToken'] as string)).toBe(email);
      expect(response.text.match(/data-hubspot-identify/g)).toHaveLength(1);
    }

    function expectLengthRight(response: TestResponse): void {
      const length = response.headers['content-length'];
      if (harness.streamsBodies && length === undefined) return;
      expect(Number(length)).toBe(Buffer.byteLength(response.text));
    }

    it('injects a logged-in page before the first of the loader, </head> or </body> (here </head>), with Content-Length right and Cache-Control private', async () => {
      const target = await start();
      const response = await get(target, '/page');
      expectIdentified(response);
      expect(response.text.indexOf('<script data-hubspot-identify')).toBe(PAGE.indexOf('</head>'));
      expect(response.text.replace(/<script data-hubspot-identify.*?<\/script>/, '')).toBe(PAGE);
      expectLengthRight(response);
      expect(response.headers['cache-control']).toBe('private');
      expect(hubspot.calls).toEqual([expect.objectContaining({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' })]);
    });

    it('serves the second page view from the cache', async () => {
      const target = await start();
      const first = await get(target, '/page');
      const second = await get(target, '/page');
      expect(settingsIn(second.text)).toEqual(settingsIn(first.text));
      expect(hubspot.calls).toHaveLength(1);
    });

    it('leaves an anonymous page as it was, without a HubSpot call', async () => {
      const target = await start();
      const response = await get(target, '/page', null);
      expect(response.text).toBe(PAGE);
      expect(response.headers['cache-control']).toBeUndefined();
      expect(hubspot.calls).toHaveLength(0);
    });

    it('injects an HTML Buffer body', async () => {
      const target = await start();
      const response = await get(target, '/buffer');
      expectIdentified(response);
      expectLengthRight(response);
    });

    it('injects a streamed HTML body', async () => {
      const target = await start();
      const response = await get(target, '/stream');
      expectIdentified(response);
      expect(response.text.replace(/<script data-hubspot-identify.*?<\/script>/, '')).toBe(PAGE);
    });

    it('leaves JSON requests alone, without a HubSpot call', async () => {
      const target = await start();
      const response = await get(target, '/json', ADA, { headers: { accept: 'application/json' } });
      expect(JSON.parse(response.text)).toEqual({ ok: true });
      expect(hubspot.calls).toHaveLength(0);
    });

    it('does not touch a text/plain body', async () => {
      const target = await start();
      expect((await get(target, '/plain')).text).toBe(PLAIN);
    });

    it('leaves a page with nowhere to inject as it was, and says so once', async () => {
      const target = await start();
      expect((await get(target, '/fragment')).text).toBe(FRAGMENT);
      expect((await get(target, '/fragment')).text).toBe(FRAGMENT);
      expect(logger.lines.filter((line) => line.includes('HSI_NO_INSERTION_POINT'))).toHaveLength(1);
    });

    it('does not inject twice into a page whose template printed hsIdentity.scriptTag', async () => {
      const target = await start();
      const response = await get(target, '/printed');
      expectIdentified(response);
      expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('</head>'));
    });

    it('exposes hsIdentity to templates once the token is at hand, and null on the cold page, which is identified as it is sent', async () => {
      const target = await start();
      // Cold: the app renders while HubSpot is asked; the page itself waits for the token when it is sent.
      expect(JSON.parse((await get(target, '/locals')).text)).toEqual({ hsIdentity: null });
      expectIdentified(await get(target, '/page'));
      const { hsIdentity } = JSON.parse((await get(target, '/locals')).text);
      expect(hsIdentity).toMatchObject({
        email: 'ada@example.com',
        settings: { identificationEmail: 'ada@example.com', loadImmediately: false },
      });
      expect(hubspot.tokens.get(hsIdentity.token)).toBe('ada@example.com');
      expect(hsIdentity.scriptTag).toMatch(/^<script data-hubspot-identify>/);
      expect(JSON.parse((await get(target, '/locals', null)).text)).toEqual({ hsIdentity: null });
    });

    it('answers HEAD with the headers of the injected page and no body', async () => {
      const target = await start();
      const full = await get(target, '/page');
      const head = await get(target, '/page', ADA, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      expect(head.headers['content-length']).toBe(full.headers['content-length']);
      expect(head.headers['cache-control']).toBe('private');
    });

    it('makes a public Cache-Control private and keeps no-store', async () => {
      const target = await start();
      expect((await get(target, '/public')).headers['cache-control']).toMatch(/^private\b/);
      expect((await get(target, '/no-store')).headers['cache-control']).toBe('private, no-store');
      const anonymous = await get(target, '/public', null);
      expect(anonymous.headers['cache-control']).toBe(PUBLIC_HEADERS['Cache-Control']);
      expect(anonymous.headers['expires']).toBe(PUBLIC_HEADERS.Expires);
    });

    it("a shared browser's own cache showed the next visitor the previous visitor's token: an identified page keeps no lifetime a cache could reuse it for", async () => {
      const target = await start();
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await get(target, '/public', ADA, { method });
        expect(response.headers['cache-control'], method).toBe('private, must-revalidate, no-transform');
        expect(response.headers['expires'], method).toBeUndefined();
      }
      expect((await get(target, '/page')).headers['cache-control']).toBe('private');
    });

    it("uses the framework's conventional CSP nonce, or the nonce option", async () => {
      const conventional = await start();
      const response = await get(conventional, '/page', ADA, { headers: { [NONCE_HEADER]: 'abc123' } });
      expect(response.text).toContain('<script data-hubspot-identify nonce="abc123">');
      await conventional.close();
      const fixed = await start({ nonce: () => 'from-option' });
      expect((await get(fixed, '/page', ADA, { headers: { [NONCE_HEADER]: 'abc123' } })).text).toContain('nonce="from-option"');
    });

    it('does not identify a POST', async () => {
      const target = await start();
      expect((await get(target, '/page', ADA, { method: 'POST' })).text).toBe(PAGE);
      expect(hubspot.calls).toHaveLength(0);
    });

    it.each([
      ['401', { kind: 'status', status: 401 }],
      ['403', { kind: 'status', status: 403 }],
      ['429', { kind: 'status', status: 429, headers: { 'retry-after': '1' } }],
      ['500', { kind: 'status', status: 500 }],
      ['bad JSON', { kind: 'bad-json' }],
      ['a reset connection', { kind: 'reset' }],
    ] as const)('a HubSpot %s renders the page anonymous', async (_name, behaviour) => {
      const target = await start();
      hubspot.behave(behaviour);
      const response = await get(target, '/page');
      expect(response.status).toBe(200);
      expect(response.text).toBe(PAGE);
      expect(errors).toHaveLength(1);
    });

    it('a slow HubSpot renders the page anonymous within timeout, and the next one identified', async () => {
      const target = await start({ timeout: 100 });
      const release = hubspot.hold();
      const minted = hubspot.tokens.size;
      // HubSpot has not answered when the page arrives: the page did not wait for it.
      const response = await get(target, '/page');
      expect(response.text).toBe(PAGE);
      expect(hubspot.calls).toHaveLength(1);
      expect(hubspot.tokens.size).toBe(minted);
      release();
      await until(() => hubspot.tokens.size === minted + 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expectIdentified(await get(target, '/page'));
      expect(hubspot.calls).toHaveLength(1);
    });

    it('a hostile email executes nothing and arrives intact', async () => {
      const target = await start();
      const email = '"</script><script>window.pwned=1</script>"@x.io';
      const response = await get(target, '/page', JSON.stringify({ email }));
      expectIdentified(response, email);
      expect(response.text).not.toContain('<script>window.pwned');
    });

    it('an invalid email renders anonymous without a HubSpot call', async () => {
      const target = await start();
      expect((await get(target, '/page', JSON.stringify({ email: 'not-an-email' }))).text).toBe(PAGE);
      expect(hubspot.calls).toHaveLength(0);
      expect(errors.map((e) => e.code)).toEqual(['HSI_INVALID_VISITOR']);
    });

    it('a throwing visitor function renders the page anonymous', async () => {
      const target = await start({
        visitor: () => {
          throw new Error('session store down');
        },
      });
      const response = await get(target, '/page');
      expect(response.status).toBe(200);
      expect(response.text).toBe(PAGE);
    });

    it('takes the visitor and shouldIdentify options', async () => {
      const target = await start({ visitor: async () => 'grace@example.com', shouldIdentify: () => true });
      expectIdentified(await get(target, '/page', null, { headers: { accept: 'application/json' } }), 'grace@example.com');
    });

    it('with inject: false leaves the HTML alone, and templates get the identity before they render, on the cold page too', async () => {
      const target = await start({ inject: false });
      expect(JSON.parse((await get(target, '/locals')).text).hsIdentity.email).toBe('ada@example.com');
      expect((await get(target, '/page')).text).toBe(PAGE);
      expect(hubspot.calls).toHaveLength(1);
    });

    // Whether the page then loads the widget itself is checked in Chromium (test/browser-widget.test.ts).
    it('with loadImmediately: true hands the loader settings that let it load the widget', async () => {
      const target = await start({ loadImmediately: true });
      const response = await get(target, '/page');
      expect(settingsIn(response.text)).toMatchObject({ identificationEmail: 'ada@example.com', loadImmediately: true });
    });

    it('leaves an already-encoded body alone and says why; private only when a template may have printed the identity into it', async () => {
      const target = await start();
      const encoded = () =>
        target.request('/encoded', { headers: { accept: HTML_ACCEPT, [USER_HEADER]: ADA, 'accept-encoding': 'identity' } });
      // Cold: the page rendered before the identity was known, so nothing of it can be in the body.
      const cold = await encoded();
      expect(cold.headers['content-encoding']).toBe('gzip');
      expect(cold.headers['cache-control']).toBeUndefined();
      expect(logger.lines.some((line) => line.includes('HSI_ENCODED_BODY'))).toBe(true);
      await hubspot.idle();
      // Warm: templates were shown the identity. The fetch handler never asked identityOf(), so its page carries none.
      const warm = await encoded();
      expect(warm.headers['content-encoding']).toBe('gzip');
      expect(warm.headers['cache-control']).toBe(harness.name === 'fetch' ? undefined : 'private');
    });

    it.each(['/partial', '/redirect', '/no-content'])(
      'a 206 range answer got the script and went out corrupt: %s is left as the app made it',
      async (path) => {
        const target = await start();
        const anonymous = await get(target, path, null);
        const identified = await get(target, path);
        expect(identified.status).toBe(anonymous.status);
        expect(identified.text).toBe(anonymous.text);
        expect(identified.headers['content-length']).toBe(anonymous.headers['content-length']);
        expect(identified.headers['content-range']).toBe(anonymous.headers['content-range']);
        expect(identified.headers['cache-control']).toBeUndefined();
      },
    );

    it('a 206 keeps its Content-Range and length for an identified visitor', async () => {
      const target = await start();
      const response = await get(target, '/partial');
      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(PARTIAL_RANGE);
      expect(response.text).toBe(PAGE.slice(0, 60));
    });

    it('an error page carries the script too, private', async () => {
      const target = await start();
      const response = await get(target, '/error');
      expect(response.status).toBe(500);
      expect(settingsIn(response.text)).toMatchObject({ identificationEmail: 'ada@example.com' });
      expect(response.headers['cache-control']).toBe('private');
    });

    it("another visitor's If-None-Match or If-Modified-Since got a 304 for a page cached with someone else's token: identified pages go out whole, without validators or CDN caching", async () => {
      const target = await start();
      const anonymous = await get(target, '/validated', null);
      expect(anonymous.headers['etag']).toBe(VALIDATED_HEADERS.ETag);
      expect((await get(target, '/validated', null, { headers: { 'if-none-match': VALIDATED_HEADERS.ETag } })).status).toBe(304);
      for (const conditional of [
        { 'if-none-match': VALIDATED_HEADERS.ETag },
        { 'if-modified-since': VALIDATED_HEADERS['Last-Modified'] },
      ] as Record<string, string>[]) {
        const response = await get(target, '/validated', ADA, { headers: conditional });
        expectIdentified(response);
        expect(response.headers['etag']).toBeUndefined();
        expect(response.headers['last-modified']).toBeUndefined();
        expect(response.headers['cdn-cache-control']).toBeUndefined();
        expect(response.headers['surrogate-control']).toBeUndefined();
        expect(response.headers['cache-control']).toBe('private');
      }
    });

    it("a logged-in visitor's public assets became private: responses without the identity keep their caching headers", async () => {
      const target = await start();
      const asset = await get(target, '/asset');
      expect(asset.text).toBe(ASSET);
      expect(asset.headers['cache-control']).toBe(ASSET_HEADERS['Cache-Control']);
      expect(asset.headers['etag']).toBe(ASSET_HEADERS.ETag);
      expect((await get(target, '/json')).headers['cache-control']).toBeUndefined();
    });

    it('only the last Set-Cookie arrived: every header of a list survives', async () => {
      const target = await start();
      const response = await get(target, '/cookies');
      expectIdentified(response);
      const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0]);
      // The app's two, then the logout marker (resetOnLogout), appended.
      expect(cookies).toEqual(['a=1', 'b=2', expect.stringMatching(/^hsi_v=[\w-]{22}$/)]);
    });

    it("a hash-only CSP blocked the script: without a nonce, the script's own hash joins the policy and its report-only twin", async () => {
      const target = await start();
      const response = await get(target, '/csp');
      expectIdentified(response);
      const text = /<script data-hubspot-identify>([\s\S]*?)<\/script>/.exec(response.text)![1]!;
      const source = `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
      for (const name of ['content-security-policy', 'content-security-policy-report-only']) {
        expect(response.headers[name]).toBe(STRICT_CSP.replace(/script-src [^;]*/, (directive) => `${directive} ${source}`));
      }
      const withNonce = await get(target, '/csp', ADA, { headers: { [NONCE_HEADER]: 'abc123' } });
      expect(withNonce.text).toContain('<script data-hubspot-identify nonce="abc123">');
      expect(withNonce.headers['content-security-policy']).toBe(STRICT_CSP);
      expect((await get(target, '/csp', null)).headers['content-security-policy']).toBe(STRICT_CSP);
    });

    it('HEAD announced a length GET did not send: HEAD and GET agree on Content-Length', async () => {
      const target = await start();
      for (const path of ['/page', '/buffer', '/stream']) {
        const full = await get(target, path);
        const head = await get(target, path, ADA, { method: 'HEAD' });
        expect(head.headers['content-length'], path).toBe(full.headers['content-length']);
        expect(head.headers['cache-control'], path).toBe('private');
      }
    });

    it.each(['nonce', 'shouldIdentify', 'visitor'] as const)(
      'a throwing %s function was reported as an invalid visitor: HSI_FUNCTION_FAILED names it',
      async (name) => {
        const target = await start({
          [name]: () => {
            throw new Error('boom');
          },
        });
        const response = await get(target, '/page');
        expect(response.status).toBe(200);
        expect(response.text).toBe(PAGE);
        expect(errors.map((e) => e.code)).toEqual(['HSI_FUNCTION_FAILED']);
        expect(errors[0]!.message).toContain(`The ${name} function threw`);
      },
    );

    it('hsIdentity was undefined for anonymous visitors, so templates threw: it is null on every request the middleware saw', async () => {
      const target = await start();
      for (const [user, accept] of [
        [null, HTML_ACCEPT],
        [ADA, '*/*'],
        [ADA, 'application/json'],
      ] as const) {
        const body = JSON.parse((await get(target, '/locals', user, { headers: { accept } })).text);
        expect(body, `${user} ${accept}`).toEqual({ hsIdentity: null });
      }
    });

    it('Accept: */* alone (fetch, XHR, images) was identified: no HubSpot call, no identity, headers untouched', async () => {
      const target = await start();
      const response = await get(target, '/public', ADA, { headers: { accept: '*/*' } });
      expect(response.text).toBe(PAGE);
      expect(response.headers['cache-control']).toBe(PUBLIC_HEADERS['Cache-Control']);
      const validated = await get(target, '/validated', ADA, { headers: { accept: '*/*' } });
      expect(validated.headers['etag']).toBe(VALIDATED_HEADERS.ETag);
      expect(hubspot.calls).toHaveLength(0);
    });

    describe('tokenRoute', () => {
      it('returns the logged-in visitor as JSON, never cached', async () => {
        const target = await start({ tokenRoute: '/hs-token' });
        const response = await get(target, '/hs-token', ADA, { headers: { accept: 'application/json' } });
        expect(response.status).toBe(200);
        expect(response.headers['cache-control']).toBe('no-store');
        const body = JSON.parse(response.text);
        expect(body.email).toBe('ada@example.com');
        expect(hubspot.tokens.get(body.token)).toBe('ada@example.com');
      });

      it('answers 401 for an anonymous visitor and 503 when HubSpot gives no token', async () => {
        const target = await start({ tokenRoute: '/hs-token' });
        const anonymous = await get(target, '/hs-token', null);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['cache-control']).toBe('no-store');
        hubspot.behave({ kind: 'status', status: 500 });
        expect((await get(target, '/hs-token')).status).toBe(503);
      });

      it.each([false, {}, { email: null }, ''])(
        'answers 401 when the visitor resolver names no one (%j), as a page load reads it',
        async (nobody) => {
          const target = await start({ tokenRoute: '/hs-token', visitor: () => nobody as never });
          const response = await get(target, '/hs-token', ADA, { headers: { accept: 'application/json' } });
          expect(response.status).toBe(401);
          expect(hubspot.calls).toHaveLength(0);
        },
      );
    });
  });
}
