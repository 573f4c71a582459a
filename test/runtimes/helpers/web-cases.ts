// The checks every fetch-style entry passes on every runtime: identified, anonymous, streamed, token routes, logout marker, failing open, and the widget in Chromium.
import type { ConsoleMessage, Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import type { FakeHubSpot } from '../../../src/testing/index.js';

export const PAGE_LOAD = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const SAME_ORIGIN_FETCH = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
const REQUEST_TIMEOUT_MS = 15_000;
/** The longest an app's set-up may take: its runtime installed from the registry, the app installed (and built), started. */
const SET_UP_TIMEOUT_MS = 600_000;

export interface Get {
  cookie?: string;
  accept?: string;
  headers?: Record<string, string>;
}

/** A GET as a browser sends it (a page load unless `accept` says otherwise), bounded in time. */
export function get(url: string, { cookie, accept = PAGE_LOAD, headers = {} }: Get = {}): Promise<Response> {
  return fetch(url, {
    headers: { accept, ...(cookie ? { cookie } : {}), ...headers },
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

export const userCookie = (email: string) => `user=${encodeURIComponent(email)}`;

/** Our script elements in a page (a React Server Components payload also names the attribute, as data, not as an element). */
export const scriptCount = (html: string) => html.split('<script data-hubspot-identify').length - 1;

/** The start of a body, for a failure message (an error page can be long). */
export const excerpt = (text: string) => (text.length > 800 ? `${text.slice(0, 800)}…` : text);

/** A page without its CSP nonces, which differ on every request. */
const withoutNonces = (html: string) => html.replace(/ nonce="[^"]*"/g, '');

/** The token in a page's identification script. */
export const tokenIn = (html: string) => /"identificationToken":"([^"]+)"/.exec(html)?.[1];

/** The marker cookie a response sets, as `hsi_v=value`. */
export function markerOf(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('hsi_v='))
    ?.split(';')[0];
}

/** Reads a streamed body chunk by chunk: the whole text, and whether `early` had arrived while `late` had not. */
export async function readStreamed(response: Response, early: string, late: string): Promise<{ text: string; earlyFirst: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let earlyFirst = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes(early) && !text.includes(late)) earlyFirst = true;
  }
  return { text: text + decoder.decode(), earlyFirst };
}

interface FakeWidget {
  identified: string | null;
  identifiedLoads: number;
  loads: number;
  clears: number;
}

/**
 * Opens `url` in the file's Chromium tab as `email` (a `user` cookie; none for null), with only these cookies, and
 * returns what the fake widget was told.
 */
export async function widgetIn(tab: Page, url: string, email: string | null, cookies: { name: string; value: string }[] = []) {
  const context = tab.context();
  await context.clearCookies();
  const all = [...cookies, ...(email ? [{ name: 'user', value: encodeURIComponent(email) }] : [])];
  if (all.length > 0) await context.addCookies(all.map((cookie) => ({ ...cookie, url })));
  const errors: string[] = [];
  const onPageError = (error: Error) => errors.push(error.message);
  // Script errors and CSP refusals; a missing favicon is not the page's business.
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  };
  tab.on('pageerror', onPageError);
  tab.on('console', onConsole);
  try {
    await tab.goto(url, { waitUntil: 'load', timeout: REQUEST_TIMEOUT_MS });
    // The widget loads at the loader's initialisation or at the script's load(): what it was told once it has loaded.
    const loaded = await tab.waitForFunction(
      () => {
        const fake = (window as { __hubspotFake?: FakeWidget }).__hubspotFake;
        return (
          fake !== undefined &&
          fake.loads > 0 && { identified: fake.identified, identifiedLoads: fake.identifiedLoads, loads: fake.loads, clears: fake.clears }
        );
      },
      undefined,
      { timeout: REQUEST_TIMEOUT_MS },
    );
    const fake = (await loaded.jsonValue()) as FakeWidget;
    const marker = (await context.cookies()).find((cookie) => cookie.name === 'hsi_v');
    return { ...fake, errors, marker: marker ? { name: marker.name, value: marker.value } : undefined };
  } finally {
    tab.off('pageerror', onPageError);
    tab.off('console', onConsole);
  }
}

export interface WebEntry {
  /** Resolves once the app is up or its set-up failed (useFetchApp, useNextApp). */
  ready: () => Promise<void>;
  /** The running app's origin, e.g. http://127.0.0.1:4321. */
  origin: () => string;
  hubspot: () => FakeHubSpot;
  /** The file's Chromium tab. */
  tab: () => Promise<Page>;
  /** Paths: an HTML page, a streamed one (its second part half a second later, with `late content`), the token routes. */
  page: string;
  streamed: string;
  /** The `tokenRoute` option of withHubSpotIdentify, where the app sets it. */
  tokenRoute?: string;
  /** A route served by tokenRouteHandler. */
  tokenRouteHandler: string;
  /** The app's visitor resolver throws for session-store-down@example.com. */
  throwingVisitor?: boolean;
  /** Check the widget in Chromium too. Default: true. */
  inBrowser?: boolean;
}

/** Waits, before the caller's describe runs its checks, for its app (whose set-up started with the file's others). */
export function waitForApp(app: Pick<WebEntry, 'ready'>): void {
  beforeAll(() => app.ready(), SET_UP_TIMEOUT_MS);
}

/** Declares the checks (as `it`s in the caller's describe) for an app wrapped by hubspot-identify/fetch. */
export function webEntryCases(entry: WebEntry): void {
  const url = (path: string) => `${entry.origin()}${path}`;
  waitForApp(entry);

  it("identifies a signed-in visitor's page: one script before the loader, a token minted for them, private, no validator, the marker set", async () => {
    const email = 'ada@example.com';
    const response = await get(url(entry.page), { cookie: userCookie(email) });
    const html = await response.text();
    expect(response.status, excerpt(html)).toBe(200);
    expect(scriptCount(html)).toBe(1);
    expect(html.indexOf('<script data-hubspot-identify')).toBeLessThan(html.indexOf('hs-script-loader'));
    expect(entry.hubspot().tokens.get(tokenIn(html)!)).toBe(email);
    expect(response.headers.get('cache-control')).toMatch(/\bprivate\b/);
    expect(response.headers.get('etag')).toBeNull();
    expect(markerOf(response)).toMatch(/^hsi_v=.+/);
  });

  it("leaves an anonymous visitor's page as the app made it: body, caching headers, no cookie", async () => {
    const untouched = await get(url(entry.page), { accept: '*/*' });
    const untouchedBody = await untouched.text();
    const response = await get(url(entry.page));
    expect(response.status).toBe(200);
    expect(withoutNonces(await response.text())).toBe(withoutNonces(untouchedBody));
    expect(scriptCount(untouchedBody)).toBe(0);
    expect(response.headers.get('cache-control')).toBe(untouched.headers.get('cache-control'));
    expect(response.headers.get('etag')).toBe(untouched.headers.get('etag'));
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('streams a streamed page: the head with the script goes out before the rest of the page is made', async () => {
    const email = 'stream@example.com';
    // Unencoded: workerd gzips for clients that accept it, and its gzip holds a small page back until the end.
    const response = await get(url(entry.streamed), { cookie: userCookie(email), headers: { 'accept-encoding': 'identity' } });
    expect(response.status).toBe(200);
    const { text, earlyFirst } = await readStreamed(response, 'data-hubspot-identify', 'late content');
    expect(earlyFirst, excerpt(text)).toBe(true);
    expect(scriptCount(text)).toBe(1);
    expect(entry.hubspot().tokens.get(tokenIn(text)!)).toBe(email);
    expect(text).toContain('late content');
  });

  const tokenRoutes = [
    ...(entry.tokenRoute ? [{ name: 'the tokenRoute option', path: entry.tokenRoute }] : []),
    { name: 'tokenRouteHandler', path: entry.tokenRouteHandler },
  ];
  it.each(tokenRoutes)(
    '$name answers { email, token, expiresAt } to the signed-in visitor (no-store) and 401 to an anonymous one',
    async ({ path }) => {
      const email = 'route@example.com';
      const response = await get(url(path), { cookie: userCookie(email), accept: 'application/json', headers: SAME_ORIGIN_FETCH });
      const text = await response.text();
      expect(response.status, excerpt(text)).toBe(200);
      const answer = JSON.parse(text) as { email: string; token: string; expiresAt: unknown };
      expect(answer.email).toBe(email);
      expect(entry.hubspot().tokens.get(answer.token)).toBe(email);
      expect(typeof answer.expiresAt).toBe('number');
      expect(answer.expiresAt).toBeGreaterThan(Date.now());
      expect(response.headers.get('cache-control')).toContain('no-store');
      const anonymous = await get(url(path), { accept: 'application/json', headers: SAME_ORIGIN_FETCH });
      expect(anonymous.status).toBe(401);
    },
  );

  it('logout marker: the first anonymous page after an identified one resets the widget once and leaves a tombstone', async () => {
    const identified = await get(url(entry.page), { cookie: userCookie('leaving@example.com') });
    await identified.text();
    const marker = markerOf(identified)!;
    expect(marker).toBeDefined();
    const loggedOut = await get(url(entry.page), { cookie: marker });
    const html = await loggedOut.text();
    expect(scriptCount(html)).toBe(1);
    expect(html).toContain('resetWidget');
    expect(tokenIn(html)).toBeUndefined();
    const tombstone = loggedOut.headers.getSetCookie().find((cookie) => /^hsi_v=~[\w-]{8};/.test(cookie));
    expect(tombstone).toBeDefined();
    // With the tombstone the browser now holds, anonymous pages are the app's own again.
    const after = await get(url(entry.page), { cookie: tombstone!.split(';')[0]! });
    expect(scriptCount(await after.text())).toBe(0);
  });

  it("fails open: with HubSpot answering 503, a signed-in visitor's page is the app's own", async () => {
    entry.hubspot().behave({ kind: 'status', status: 503 });
    const untouched = await (await get(url(entry.page), { accept: '*/*' })).text();
    const response = await get(url(entry.page), { cookie: userCookie('hubspot-down@example.com') });
    expect(response.status).toBe(200);
    expect(withoutNonces(await response.text())).toBe(withoutNonces(untouched));
  });

  if (entry.throwingVisitor) {
    it("fails open: a visitor resolver that throws leaves the app's own page", async () => {
      const untouched = await (await get(url(entry.page), { accept: '*/*' })).text();
      const response = await get(url(entry.page), { cookie: userCookie('session-store-down@example.com') });
      expect(response.status).toBe(200);
      expect(withoutNonces(await response.text())).toBe(withoutNonces(untouched));
    });
  }

  if (entry.inBrowser !== false) widgetCases(entry);
}

/** In Chromium: the widget is identified as the visitor, and reset after logout. */
function widgetCases(entry: Pick<WebEntry, 'origin' | 'tab' | 'page'>): void {
  const url = (path: string) => `${entry.origin()}${path}`;

  it('in Chromium the widget is told who the visitor is, and after logout it is reset', async () => {
    const email = 'browser@example.com';
    const identified = await widgetIn(await entry.tab(), url(entry.page), email);
    expect(identified.errors).toEqual([]);
    expect(identified.identified).toBe(email);
    expect(identified.identifiedLoads).toBe(1);
    expect(identified.marker).toBeDefined();
    const loggedOut = await widgetIn(await entry.tab(), url(entry.page), null, [identified.marker!]);
    expect(loggedOut.errors).toEqual([]);
    expect(loggedOut.identified).toBeNull();
    expect(loggedOut.clears).toBe(1);
  });
}
