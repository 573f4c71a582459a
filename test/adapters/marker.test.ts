// The logout marker in every adapter: set on identified pages, a reset on the first anonymous page after one, a reset first on a change of visitor.
import { getRequestListener } from '@hono/node-server';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubSpotIdentifyOptions } from '../../src/index.js';
import { withHubSpotIdentify } from '../../adapters/fetch/index.js';
import { resetScriptTag } from '../../src/html/script.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE, USER_HEADER } from '../helpers/pages.js';
import { expressHarness, send } from './express-app.js';
import { fastifyHarness } from './fastify-app.js';
import { fetchOptions, fetchRouter } from './fetch-app.js';
import { honoApp } from './hono-app.js';
import { koaHarness } from './koa-app.js';
import type { AppUnderTest, Harness, TestResponse } from './harness.js';

const HTML_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';
// What a sibling subdomain plants for the parent domain: well-formed, but no visitor's.
const PLANTED = 'PLANTEDplantedPLANTED0';
const IDENTIFY = /<script data-hubspot-identify[^>]*>[^<]*\)\(window,(\{[^<]*?\}),(true|false)\);<\/script>/;

// fetch and Hono test apps lack the 204 and two-cookie pages: the same routes as the Node apps' shared ones.
const noContent = () => new Response(null, { status: 204, headers: { 'content-type': 'text/html' } });
const twoCookies = () => {
  const headers = new Headers({ 'content-type': 'text/html; charset=utf-8' });
  headers.append('set-cookie', 'a=1');
  headers.append('set-cookie', 'b=2');
  return new Response(PAGE, { headers });
};

const fetchHarness: Harness = {
  name: 'fetch',
  async start(options) {
    const handler = withHubSpotIdentify(fetchRouter({ 'GET /no-content': noContent, 'GET /cookies': twoCookies }), fetchOptions(options));
    return { request: (path, opts) => send(supertest(getRequestListener(handler)), path, opts), close: async () => {} };
  },
};

const honoHarness: Harness = {
  name: 'hono',
  async start(options) {
    const app = honoApp(options, { routes: { 'GET /no-content': noContent, 'GET /cookies': twoCookies } });
    return { request: (path, opts) => send(supertest(getRequestListener(app.fetch)), path, opts), close: async () => {} };
  },
};

function cookiesOf(response: TestResponse): string[] {
  return ([] as string[]).concat((response.headers['set-cookie'] as string | string[] | undefined) ?? []);
}

const markerSet = (response: TestResponse) => cookiesOf(response).filter((cookie) => cookie.startsWith('hsi_v='));

/** The `hsi_v=value` pair the response set, as the browser sends it back. */
function markerPair(response: TestResponse): string {
  const [cookie] = markerSet(response);
  expect(cookie, 'marker set').toBeDefined();
  return cookie!.split(';')[0]!;
}

function identifyCall(response: TestResponse): { email: string; reset: boolean } | undefined {
  const match = IDENTIFY.exec(response.text);
  return match ? { email: JSON.parse(match[1]!).identificationEmail, reset: match[2] === 'true' } : undefined;
}

const scriptCount = (response: TestResponse) => (response.text.match(/data-hubspot-identify/g) ?? []).length;

describe.each([expressHarness, koaHarness, fastifyHarness, fetchHarness, honoHarness])('$name: logout marker', (harness) => {
  const hubspot = useFakeHubSpot();
  let app: AppUnderTest | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: HubSpotIdentifyOptions<any, any> = {}): Promise<AppUnderTest> {
    app = await harness.start({ accessToken: 'pat-test', baseUrl: hubspot().baseUrl, logger: false, ...options });
    return app;
  }

  const get = (target: AppUnderTest, path: string, user: string | null, cookie?: string, accept = HTML_ACCEPT) =>
    target.request(path, { headers: { accept, ...(user ? { [USER_HEADER]: user } : {}), ...(cookie ? { cookie } : {}) } });

  it('an identified page sets the marker: HttpOnly, Lax, 13 months, holding no email', async () => {
    const target = await start();
    const response = await get(target, '/page', ADA);
    expect(identifyCall(response)).toEqual({ email: ADA, reset: false });
    const [cookie] = markerSet(response);
    expect(cookie).toMatch(/^hsi_v=[\w-]{22}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookie).not.toContain('ada');
  });

  it('the same visitor again with the marker: nothing new is set and the widget is not reset', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    const again = await get(target, '/page', ADA, `theme=dark; ${marker}; other="x"`);
    expect(identifyCall(again)).toEqual({ email: ADA, reset: false });
    expect(markerSet(again)).toEqual([]);
  });

  it('the first anonymous page with the marker gets the reset script once, goes private, and leaves a tombstone in the marker', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    const loggedOut = await get(target, '/page', null, marker);
    expect(loggedOut.text).toContain(resetScriptTag());
    expect(scriptCount(loggedOut)).toBe(1);
    expect(identifyCall(loggedOut)).toBeUndefined();
    expect(markerSet(loggedOut)).toEqual([expect.stringMatching(/^hsi_v=~[\w-]{8}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax$/)]);
    expect(loggedOut.headers['cache-control']).toBe('private');
    // With the tombstone in place of the marker, anonymous pages are as the app made them.
    const after = await get(target, '/page', null, markerPair(loggedOut));
    expect(after.text).toBe(PAGE);
    expect(cookiesOf(after)).toEqual([]);
    expect(after.headers['cache-control']).toBeUndefined();
  });

  it('the reset script streams into a streamed anonymous page too', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    const loggedOut = await get(target, '/stream', null, marker);
    expect(loggedOut.text).toContain(resetScriptTag());
    expect(markerSet(loggedOut)).toHaveLength(1);
  });

  it("a change of visitor (A's marker, B's page) resets before identifying B and sets B's marker", async () => {
    const target = await start();
    const adaMarker = markerPair(await get(target, '/page', ADA));
    const bob = await get(target, '/page', BOB, adaMarker);
    expect(identifyCall(bob)).toEqual({ email: BOB, reset: true });
    expect(scriptCount(bob)).toBe(1);
    const bobMarker = markerPair(bob);
    expect(bobMarker).not.toBe(adaMarker);
    expect(identifyCall(await get(target, '/page', BOB, bobMarker))).toEqual({ email: BOB, reset: false });
  });

  it('non-HTML, 204 and JSON responses with the marker are left untouched', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    for (const path of ['/json', '/plain', '/no-content']) {
      for (const user of [null, BOB]) {
        const response = await get(target, path, user, marker);
        expect(scriptCount(response), `${path} ${user}`).toBe(0);
        expect(cookiesOf(response), `${path} ${user}`).toEqual([]);
      }
    }
    // Not a page load (fetch, XHR): untouched even when it is HTML.
    const xhr = await get(target, '/page', null, marker, '*/*');
    expect(xhr.text).toBe(PAGE);
    expect(cookiesOf(xhr)).toEqual([]);
  });

  it("the app's own Set-Cookie headers survive next to the marker's, set and reset", async () => {
    const target = await start();
    const identified = await get(target, '/cookies', ADA);
    const names = (response: TestResponse) => cookiesOf(response).map((cookie) => cookie.split(';')[0]);
    expect(names(identified)).toEqual(['a=1', 'b=2', markerPair(identified)]);
    const loggedOut = await get(target, '/cookies', null, markerPair(identified));
    expect(names(loggedOut)).toEqual(['a=1', 'b=2', expect.stringMatching(/^hsi_v=~[\w-]{8}$/)]);
  });

  it('a logged-in visitor whose token did not come in time keeps the marker: no reset', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    await app!.close();
    app = await harness.start({ accessToken: 'pat-test', baseUrl: 'http://127.0.0.1:9', logger: false, timeout: 200 });
    const failed = await get(app, '/page', ADA, marker);
    expect(failed.text).toBe(PAGE);
    expect(cookiesOf(failed)).toEqual([]);
  });

  it('the marker was reset on pages the reset never reached (gzip-encoded, a fragment without </head> or </body>): it stays until a page takes the reset', async () => {
    const target = await start();
    const marker = markerPair(await get(target, '/page', ADA));
    for (const path of ['/encoded', '/fragment']) {
      const response = await get(target, path, null, marker);
      expect(scriptCount(response), path).toBe(0);
      expect(cookiesOf(response), path).toEqual([]);
    }
    const loggedOut = await get(target, '/page', null, marker);
    expect(loggedOut.text).toContain(resetScriptTag());
    expect(markerSet(loggedOut)).toEqual([expect.stringMatching(/^hsi_v=~[\w-]{8}; Max-Age=34128000; Path=\/; HttpOnly; SameSite=Lax$/)]);
  });

  it('an identified page the script never reached (gzip-encoded, a fragment) set the marker: it sets none', async () => {
    const target = await start();
    for (const path of ['/encoded', '/fragment']) expect(cookiesOf(await get(target, path, ADA)), path).toEqual([]);
  });

  it("B's fragment under A's marker took B's marker without the reset-first, so B's next page skipped the reset: A's marker stays until a page resets", async () => {
    const target = await start();
    const adaMarker = markerPair(await get(target, '/page', ADA));
    const fragment = await get(target, '/fragment', BOB, adaMarker);
    expect(scriptCount(fragment)).toBe(0);
    expect(cookiesOf(fragment)).toEqual([]);
    const bob = await get(target, '/page', BOB, adaMarker);
    expect(identifyCall(bob)).toEqual({ email: BOB, reset: true });
    expect(markerPair(bob)).not.toBe(adaMarker);
  });

  it('a template that prints the script itself still sets the marker', async () => {
    const target = await start();
    const printed = await get(target, '/printed', ADA);
    expect(scriptCount(printed)).toBe(1);
    expect(markerSet(printed)).toHaveLength(1);
  });

  it('with inject: false, where no script can be delivered, the marker is neither set nor expired', async () => {
    const withMarker = await start();
    const marker = markerPair(await get(withMarker, '/page', ADA));
    await app!.close();
    const target = await start({ inject: false });
    expect(cookiesOf(await get(target, '/page', ADA))).toEqual([]);
    expect(cookiesOf(await get(target, '/page', BOB, marker))).toEqual([]);
    const anonymous = await get(target, '/page', null, marker);
    expect(anonymous.text).toBe(PAGE);
    expect(cookiesOf(anonymous)).toEqual([]);
  });

  it('with resetOnLogout: false nothing of this runs and no cookie is set', async () => {
    const withMarker = await start();
    const marker = markerPair(await get(withMarker, '/page', ADA));
    await app!.close();
    const target = await start({ resetOnLogout: false });
    const identified = await get(target, '/page', BOB, marker);
    expect(identifyCall(identified)).toEqual({ email: BOB, reset: false });
    expect(cookiesOf(identified)).toEqual([]);
    const anonymous = await get(target, '/page', null, marker);
    expect(anonymous.text).toBe(PAGE);
    expect(cookiesOf(anonymous)).toEqual([]);
  });
  it('a planted marker reset forever: a value a sibling subdomain set for the parent domain resets once across four anonymous pages, then never', async () => {
    const target = await start();
    // The browser keeps what the response sets next to the planted cookie, which the host can neither see apart nor delete.
    let own: string | undefined;
    let resets = 0;
    for (let i = 0; i < 4; i++) {
      const response = await get(target, '/page', null, [own, `hsi_v=${PLANTED}`].filter(Boolean).join('; '));
      if (response.text.includes(resetScriptTag())) resets++;
      own = markerSet(response).length > 0 ? markerPair(response) : own;
    }
    expect(resets).toBe(1);
  });

  it('a malformed marker value, or several cookies of its name, make no reset beyond the one a real marker asks for', async () => {
    const target = await start();
    for (const cookie of ['hsi_v=x', 'hsi_v=', 'hsi_v="not a marker"', `hsi_v=${'a'.repeat(300)}`]) {
      const response = await get(target, '/page', null, cookie);
      expect(response.text, cookie).toBe(PAGE);
      expect(cookiesOf(response), cookie).toEqual([]);
    }
    const marker = markerPair(await get(target, '/page', ADA));
    // Several cookies of the name (one per path or domain): every one is read, not just the first.
    const loggedOut = await get(target, '/page', null, `hsi_v=x; ${marker}`);
    expect(loggedOut.text).toContain(resetScriptTag());
    const again = await get(target, '/page', ADA, `hsi_v=${PLANTED}; ${marker}`);
    expect(identifyCall(again)).toEqual({ email: ADA, reset: false });
    expect(cookiesOf(again)).toEqual([]);
  });
});
