// The CSP rules in real headless Chromium: the hash added where script elements are judged leaves the page's inline handlers working, and metaPolicyBlocksScript agrees with the browser.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowScriptByHash, metaPolicyBlocksScript, nonceFreeScriptText, scriptHashSource } from '../src/http/csp.js';
import type { HeaderAccess } from '../src/http/response-policy.js';
import { scriptTag } from '../src/html/script.js';
import { launchChromium } from './helpers/browser.js';

const NONCE = 'bm9uY2UtZm9yLXRlc3Q=';
const injected = scriptTag({ identificationEmail: 'ada@example.com', identificationToken: 'tok', loadImmediately: false });
const injectedWithNonce = scriptTag({ identificationEmail: 'ada@example.com', identificationToken: 'tok', loadImmediately: false }, NONCE);
const INJECTED_HASH = scriptHashSource(nonceFreeScriptText(injected)!);

// The page's own inline script, allowed by its hash, and an inline event handler.
const OWN_SCRIPT = 'window.ownRan = true;';
const OWN_HASH = scriptHashSource(OWN_SCRIPT);
const body = (script: string) => `<!doctype html><html><head><title>csp</title>${script}<script>${OWN_SCRIPT}</script></head>
<body><button id="b" onclick="window.clicked = true">b</button></body></html>`;

interface Served {
  headers: [string, string][];
  html: string;
}

let browser: Browser;
let server: Server;
let origin: string;
const routes = new Map<string, Served>();

beforeAll(async () => {
  browser = await launchChromium();
  server = createServer((req, res) => {
    const served = routes.get(req.url ?? '');
    if (!served) return void res.writeHead(404).end();
    res.writeHead(200, [['Content-Type', 'text/html; charset=utf-8'], ...served.headers].flat());
    res.end(served.html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

// One context for every page: nothing here depends on cookies or cache.
let context: BrowserContext;
beforeAll(async () => {
  context = await browser.newContext();
  return () => context.close();
});

/** The CSP headers as allowScriptByHash leaves them, from the page's own list of Content-Security-Policy values. */
function rewritten(policies: string[]): [string, string][] {
  let value: string | string[] = policies;
  const headers: HeaderAccess = { get: () => value, set: (_name, next) => { value = next; }, remove: () => {} };
  allowScriptByHash(headers, nonceFreeScriptText(injected)!);
  return ([] as string[]).concat(value).map((policy) => ['Content-Security-Policy', policy]);
}

/** What ran on the page: our script, the page's own script, and its onclick handler once clicked. */
async function visit(path: string, served: Served) {
  routes.set(path, served);
  const tab = await context.newPage();
  await tab.goto(`${origin}${path}`);
  await tab.click('#b');
  const ran = await tab.evaluate(() => {
    const w = window as unknown as { hsConversationsSettings?: { identificationEmail?: string }; ownRan?: boolean; clicked?: boolean };
    return { injected: w.hsConversationsSettings?.identificationEmail === 'ada@example.com', own: w.ownRan === true, handler: w.clicked === true };
  });
  await tab.close();
  return ran;
}

describe('the hash in a policy that allows script elements by hash', () => {
  const policy = `script-src-elem 'self' ${OWN_HASH}; script-src 'self' 'unsafe-inline'`;

  it("regression: the page's inline onclick still runs, and the injected script runs, after the rewrite", async () => {
    const headers = rewritten([policy]);
    expect(headers).toEqual([['Content-Security-Policy', `script-src-elem 'self' ${OWN_HASH} ${INJECTED_HASH}; script-src 'self' 'unsafe-inline'`]]);
    expect(await visit('/elem', { headers, html: body(injected) })).toEqual({ injected: true, own: true, handler: true });
  });

  it('the old rewrite, the hash in script-src too, stopped the handler: the browser drops unsafe-inline beside a hash', async () => {
    const old = `script-src-elem 'self' ${OWN_HASH} ${INJECTED_HASH}; script-src 'self' 'unsafe-inline' ${INJECTED_HASH}`;
    expect(await visit('/elem-old', { headers: [['Content-Security-Policy', old]], html: body(injected) })).toEqual({ injected: true, own: true, handler: false });
  });

  it('the injected script is blocked without the rewrite (so the test above proves the hash was needed)', async () => {
    expect(await visit('/elem-none', { headers: [['Content-Security-Policy', policy]], html: body(injected) })).toEqual({ injected: false, own: true, handler: true });
  });

  it('two policies in two headers: each allows by hash and gets the hash, and the script passes both', async () => {
    const headers = rewritten([`script-src ${OWN_HASH} 'unsafe-hashes'`, `default-src 'self' ${OWN_HASH}`]);
    expect(headers.map(([, value]) => value)).toEqual([`script-src ${OWN_HASH} 'unsafe-hashes' ${INJECTED_HASH}`, `default-src 'self' ${OWN_HASH} ${INJECTED_HASH}`]);
    expect(await visit('/two', { headers, html: body(injected) })).toMatchObject({ injected: true, own: true });
  });
});

describe('metaPolicyBlocksScript agrees with Chromium', () => {
  const cases: [string, string, string][] = [
    ['unsafe-inline', "script-src 'self' 'unsafe-inline'", injected],
    ['unsafe-inline voided by a hash', `script-src 'unsafe-inline' ${OWN_HASH}`, injected],
    ['unsafe-inline voided by strict-dynamic', "script-src 'unsafe-inline' 'strict-dynamic'", injected],
    ['our hash', `script-src ${OWN_HASH} ${INJECTED_HASH}`, injected],
    ['our hash beside none', `script-src 'none' ${INJECTED_HASH}`, injected],
    ['our nonce', `script-src 'nonce-${NONCE}' 'strict-dynamic'`, injectedWithNonce],
    ['another nonce', "script-src 'nonce-b3RoZXI='", injectedWithNonce],
    ['script-src-elem over script-src', "script-src-elem 'self'; script-src 'unsafe-inline'", injected],
    ['script-src-elem allowing inline over script-src', "script-src-elem 'unsafe-inline'; script-src 'none'", injected],
    ['default-src none', "default-src 'none'", injected],
    ['no script directive', "img-src 'self'", injected],
  ];

  it.each(cases)('%s', async (_name, policy, script) => {
    const html = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}">${script}</head>
<body><button id="b">b</button></body></html>`;
    const ran = await visit(`/meta-${encodeURIComponent(policy)}`, { headers: [], html });
    const nonce = script === injectedWithNonce ? NONCE : undefined;
    expect(metaPolicyBlocksScript(policy, { nonce, hash: INJECTED_HASH })).toBe(!ran.injected);
  });
});
