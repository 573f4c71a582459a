// The logout marker in real headless Chromium across two hosts: a marker a sibling subdomain plants for the parent domain makes at most one reset.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anonymousMarkerStep, identifiedMarkerStep, readMarkers, resetMarkerCookie, setMarkerCookie } from '../src/http/logout-marker.js';
import { markerValue } from '../src/tokens/visitor.js';
import { launchChromium } from './helpers/browser.js';

// Both names resolve to this machine (--host-resolver-rules); hsi.test is a registrable domain, so b.hsi.test may set cookies for it.
const APP = 'a.hsi.test';
const SIBLING = 'b.hsi.test';
const PLANTED = 'PLANTEDplantedPLANTED0';

let browser: Browser;
let server: Server;
let port: number;
/** What the app decided on each page, in order: 'reset' and 'reset-then-set' are the widget resets. */
let steps: string[];
/** The Cookie header of the app's last request. */
let lastCookie: string;

/** The app as the lead's wiring will drive the marker: identified pages at /as/<email>, anonymous ones at /page (and /old-page, by the old rule). */
function app(req: IncomingMessage, res: ServerResponse): void {
  const cookie = req.headers.cookie ?? '';
  const email = /^\/as\/(.+)$/.exec(req.url ?? '')?.[1];
  if (email) {
    const value = markerValue('pat-marker', decodeURIComponent(email));
    const step = identifiedMarkerStep(cookie, false, value);
    if (step !== 'keep') res.setHeader('Set-Cookie', setMarkerCookie(value, false));
    steps.push(step);
  } else if (req.url === '/old-page') {
    // The rule before tombstones: any hsi_v resets, and the reset expires the host-only cookie.
    const step = /(?:^|;\s*)hsi_v=[^;]/.test(cookie) ? 'reset' : 'keep';
    if (step === 'reset') res.setHeader('Set-Cookie', 'hsi_v=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    steps.push(step);
  } else if (req.url === '/page') {
    const state = readMarkers(cookie, false);
    const step = anonymousMarkerStep(state);
    if (step === 'reset') res.setHeader('Set-Cookie', resetMarkerCookie(state, false));
    steps.push(step);
    lastCookie = cookie;
  } else {
    // favicon.ico and the like: not page loads.
    return void res.writeHead(404).end();
  }
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>app</title>');
}

/** The sibling subdomain: plants /plant/<value> for the whole parent domain; nothing else (a favicon request would plant an empty value). */
function sibling(req: IncomingMessage, res: ServerResponse): void {
  const value = /^\/plant\/(.+)$/.exec(req.url ?? '')?.[1];
  if (value === undefined) return void res.writeHead(404).end();
  res.setHeader('Set-Cookie', `hsi_v=${decodeURIComponent(value)}; Domain=hsi.test; Path=/; Max-Age=31536000`);
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>sibling</title>');
}

beforeAll(async () => {
  browser = await launchChromium(['--host-resolver-rules=MAP *.hsi.test 127.0.0.1']);
  server = createServer((req, res) => ((req.headers.host ?? '').startsWith(`${SIBLING}:`) ? sibling : app)(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

let context: BrowserContext;
let tab: Page;
beforeEach(async () => {
  steps = [];
  context = await browser.newContext();
  tab = await context.newPage();
  return () => context.close();
});

const visit = async (host: string, path: string) => { await tab.goto(`http://${host}:${port}${path}`); };
const plant = (value: string) => visit(SIBLING, `/plant/${encodeURIComponent(value)}`);
const resets = () => steps.filter((step) => step.startsWith('reset')).length;
async function anonymousPages(count: number, path = '/page') {
  for (let i = 0; i < count; i++) await visit(APP, path);
}

describe('a marker planted for the parent domain by a sibling subdomain', () => {
  it('the expiry used before could not remove it: every anonymous page reset the widget (the failure this guards against)', async () => {
    await plant(PLANTED);
    await anonymousPages(4, '/old-page');
    expect(resets()).toBe(4);
  });

  it('regression: causes at most one reset across 4 anonymous page loads, though the browser keeps sending it', async () => {
    await plant(PLANTED);
    await anonymousPages(4);
    expect(steps).toEqual(['reset', 'keep', 'keep', 'keep']);
    expect(lastCookie).toContain(`hsi_v=${PLANTED}`);
    expect(lastCookie).toMatch(/hsi_v=~/);
  });

  it('beside a real login: the logout resets once, a new login sets its marker without a reset, and its logout resets once', async () => {
    await visit(APP, '/as/ada%40example.com');
    await plant(PLANTED);
    await visit(APP, '/as/ada%40example.com');
    await anonymousPages(4);
    await visit(APP, '/as/bob%40example.com');
    await visit(APP, '/as/bob%40example.com');
    await anonymousPages(4);
    expect(steps).toEqual(['set', 'keep', 'reset', 'keep', 'keep', 'keep', 'set', 'keep', 'reset', 'keep', 'keep', 'keep']);
  });

  it('a malformed value never resets', async () => {
    await plant('not-a-marker');
    await anonymousPages(4);
    await visit(APP, '/as/ada%40example.com');
    expect(steps).toEqual(['keep', 'keep', 'keep', 'keep', 'set']);
  });

  it("a tombstone planted for the parent domain does not suppress the reset of the visitor's real marker", async () => {
    await visit(APP, '/as/ada%40example.com');
    await plant(`~${PLANTED.slice(0, 8)}.AAAAAAAA`);
    await anonymousPages(4);
    expect(steps).toEqual(['set', 'reset', 'keep', 'keep', 'keep']);
  });
});
