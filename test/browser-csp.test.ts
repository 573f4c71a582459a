// CSP in real headless Chromium through the Express and Hono middleware: our script runs by the hash it adds, inline handlers keep the policy's verdict.
import { createHash } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotIdentify as expressIdentify } from '../adapters/express/index.js';
import { hubspotIdentify as honoIdentify } from '../adapters/hono/index.js';
import { scriptTag } from '../src/html/script.js';
import { metaPolicyBlocksScript } from '../src/http/csp.js';
import { startFakeHubSpot, type FakeHubSpot } from '../src/testing/index.js';
import { launchChromium, serveOnLoopback, userFromCookie, type LoopbackServer } from './helpers/browser.js';

const EMAIL = 'ada@example.com';
const hashOf = (script: string) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;

// The app's own inline script, allowed by its hash, and an inline event handler.
const OWN_SCRIPT = 'window.ownRan = true;';
const OWN_HASH = hashOf(OWN_SCRIPT);
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>csp</title><script>${OWN_SCRIPT}</script></head>
<body><button id="b" onclick="window.clicked = true">b</button></body></html>`;

// Script elements by hash only; handlers (script-src-attr, falling back to script-src) by 'unsafe-inline',
// which a hash beside it would void. With no nonce, our inline script can run only by the hash the middleware adds.
const ELEMENTS_BY_HASH = `script-src-elem 'self' ${OWN_HASH}; script-src 'self' 'unsafe-inline'`;
const HASH_ONLY = `script-src ${OWN_HASH}`;

/** The app's Content-Security-Policy header values per page, and whether the page's inline handler may run under them. */
const policies: Record<string, { headers: string[]; handlerRuns: boolean }> = {
  'one policy: script elements by hash, handlers by unsafe-inline': { headers: [ELEMENTS_BY_HASH], handlerRuns: true },
  'two policies comma-joined in one header, the second hash-only': { headers: [`${ELEMENTS_BY_HASH}, ${HASH_ONLY}`], handlerRuns: false },
  'the same two policies in two headers': { headers: [ELEMENTS_BY_HASH, HASH_ONLY], handlerRuns: false },
};
const pathOf = (name: string) => `/page/${Object.keys(policies).indexOf(name)}`;
const policyOf = (path: string) => Object.values(policies)[Number(path.split('/')[2])];

// A page whose own <meta> policy blocks every inline script but its own: no header can let ours run there.
const META_PAGE = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="script-src 'self' ${OWN_HASH}"><title>meta</title><script>${OWN_SCRIPT}</script></head>
<body><button id="b">b</button></body></html>`;
/** What the middleware said, per app: the logger's warnings. */
const warnings = new Map<string, string[]>();

let hubspot: FakeHubSpot;
let browser: Browser;
const options = (framework: string) => ({
  accessToken: 'pat-csp',
  baseUrl: hubspot.baseUrl,
  logger: { warn: (message: string) => warnings.get(framework)!.push(message) },
});

// Each app reads its logged-in user from the `user` cookie where its framework keeps it, and sets its policy on every page.
const frameworks: Record<string, () => RequestListener> = {
  express: () => {
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = userFromCookie(req.headers.cookie);
      next();
    });
    app.use(expressIdentify(options('express')));
    app.get('/page/:n', (req, res) => {
      const policy = policyOf(req.path);
      if (!policy) return void res.sendStatus(404);
      res.set('Content-Security-Policy', policy.headers).type('html').send(PAGE);
    });
    app.get('/meta', (_req, res) => {
      res.type('html').send(META_PAGE);
    });
    return app;
  },
  hono: () => {
    const app = new Hono();
    app.use(async (c, next) => {
      c.set('user' as never, userFromCookie(c.req.header('cookie')) as never);
      await next();
    });
    app.use(honoIdentify(options('hono')));
    app.get('/page/:n', (c) => {
      const policy = policyOf(c.req.path);
      if (!policy) return c.notFound();
      for (const value of policy.headers) c.header('Content-Security-Policy', value, { append: true });
      return c.html(PAGE);
    });
    app.get('/meta', (c) => c.html(META_PAGE));
    return getRequestListener(app.fetch);
  },
};

beforeAll(async () => {
  [hubspot, browser] = await Promise.all([startFakeHubSpot(), launchChromium()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await hubspot?.close();
});

/** A policy's directives by name, each with its sources. */
function directives(policy: string): Record<string, string[]> {
  const named = policy
    .split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .filter(([name]) => name);
  return Object.fromEntries(named.map(([name, ...sources]) => [name!, sources]));
}
/** Every policy the response's Content-Security-Policy headers carry, comma-joined or repeated. */
const policiesIn = (values: string[]) => values.flatMap((value) => value.split(',')).map(directives);

/** The app's policies with our hash in each one's directive for script elements, and nowhere else: 'unsafe-inline' keeps working. */
function withOurHash(headers: string[], hash: string): Record<string, string[]>[] {
  return policiesIn(headers).map((original) => {
    const governing = original['script-src-elem'] ? 'script-src-elem' : 'script-src';
    return { ...original, [governing]: [...original[governing]!, hash] };
  });
}

interface Ran {
  /** Our script: the settings it set, and its mark. */
  settingsEmail?: string;
  markEmail?: string;
  /** The logout script ran. */
  reset: boolean;
  own: boolean;
  handler: boolean;
  /** The inline scripts on the page, as the browser parsed them. */
  scripts: string[];
  violations: { directive: string; blocked: string }[];
}

describe.each(Object.keys(frameworks))('%s', (framework) => {
  let app: LoopbackServer;
  let origin: string;
  beforeAll(async () => {
    warnings.set(framework, []);
    app = await serveOnLoopback(frameworks[framework]!());
    origin = `http://127.0.0.1:${app.port}`;
  });
  afterAll(() => app?.close());

  // One browser profile and one tab per app: each test sets the login it needs, each visit is a new document.
  let context: BrowserContext;
  let tab: Page;
  beforeAll(async () => {
    context = await browser.newContext();
    // Every violation, recorded before any of the page's scripts runs.
    await context.addInitScript(() => {
      const w = window as unknown as { violations: { directive: string; blocked: string }[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        w.violations.push({ directive: event.effectiveDirective, blocked: event.blockedURI });
      });
    });
    tab = await context.newPage();
  });
  afterAll(() => context?.close());
  const logIn = () => context.addCookies([{ name: 'user', value: encodeURIComponent(EMAIL), url: origin }]);
  const logOut = () => context.clearCookies({ name: 'user' });
  // No session and no logout marker: a browser that never saw anyone logged in.
  const newcomer = () => context.clearCookies();

  /** Loads the page, clicks its button, and says what ran and what CSP the response carried. */
  async function visit(path: string): Promise<{ csp: string[]; ran: Ran }> {
    const response = await tab.goto(`${origin}${path}`);
    const headers = await response!.headersArray();
    const csp = headers.filter(({ name }) => name.toLowerCase() === 'content-security-policy').map(({ value }) => value);
    const ran = await tab.evaluate(() => {
      document.getElementById('b')!.click();
      const w = window as unknown as {
        hsConversationsSettings?: { identificationEmail?: string };
        __hubspotIdentify?: { e?: string };
        __hubspotIdentifyReset?: number;
        ownRan?: boolean;
        clicked?: boolean;
        violations: Ran['violations'];
      };
      return {
        settingsEmail: w.hsConversationsSettings?.identificationEmail,
        markEmail: w.__hubspotIdentify?.e,
        reset: w.__hubspotIdentifyReset === 1,
        own: w.ownRan === true,
        handler: w.clicked === true,
        scripts: Array.from(document.querySelectorAll('script'), (script) => script.text),
        violations: w.violations,
      };
    });
    return { csp, ran };
  }

  describe.each(Object.entries(policies))('%s', (name, policy) => {
    it("an identified page: our script runs by its hash, the app's hashed script runs, handlers keep the policy's verdict", async () => {
      await logIn();
      const { csp, ran } = await visit(pathOf(name));
      expect(ran).toMatchObject({ settingsEmail: EMAIL, markEmail: EMAIL, own: true, handler: policy.handlerRuns });
      const ours = ran.scripts.filter((script) => script !== OWN_SCRIPT);
      expect(ours).toHaveLength(1);
      const ourHash = hashOf(ours[0]!);
      expect(policiesIn(csp)).toEqual(withOurHash(policy.headers, ourHash));
      // No script element was blocked; the only violations are the handler's, where the app's own policy forbids it.
      expect(ran.violations.filter(({ directive }) => directive !== 'script-src-attr')).toEqual([]);
      expect(ran.violations.length > 0).toBe(!policy.handlerRuns);
    });

    it('the first page after logout: the reset script runs by its hash as well', async () => {
      await logIn();
      await visit(pathOf(name));
      await logOut();
      const { csp, ran } = await visit(pathOf(name));
      expect(ran).toMatchObject({ reset: true, settingsEmail: undefined, own: true, handler: policy.handlerRuns });
      const reset = ran.scripts.filter((script) => script !== OWN_SCRIPT);
      expect(reset).toHaveLength(1);
      expect(policiesIn(csp)).toEqual(withOurHash(policy.headers, hashOf(reset[0]!)));
      expect(ran.violations.filter(({ directive }) => directive !== 'script-src-attr')).toEqual([]);
    });

    it('an anonymous page keeps the policy as the app set it, and runs as it would without us', async () => {
      await newcomer();
      const { csp, ran } = await visit(pathOf(name));
      // Policy by policy: a web Response joins repeated headers with commas, which means the same to the browser.
      expect(policiesIn(csp)).toEqual(policiesIn(policy.headers));
      expect(ran).toMatchObject({ settingsEmail: undefined, own: true, handler: policy.handlerRuns, scripts: [OWN_SCRIPT] });
      expect(ran.violations.filter(({ directive }) => directive !== 'script-src-attr')).toEqual([]);
    });
  });

  it('a page whose <meta> policy blocks our script is said once', async () => {
    await logIn();
    for (let load = 0; load < 2; load++) {
      const { ran } = await visit('/meta');
      // The browser did block it: the page's own script ran, ours was refused.
      expect(ran).toMatchObject({ settingsEmail: undefined, own: true });
      expect(ran.violations).toEqual([{ directive: 'script-src-elem', blocked: 'inline' }]);
    }
    expect(warnings.get(framework)!.filter((message) => /meta/i.test(message))).toHaveLength(1);
  });
});

describe('metaPolicyBlocksScript agrees with Chromium', () => {
  const NONCE = 'bm9uY2UtZm9yLXRlc3Q=';
  const settings = { identificationEmail: EMAIL, identificationToken: 'tok', loadImmediately: false };
  const injected = scriptTag(settings);
  const injectedWithNonce = scriptTag(settings, NONCE);
  const INJECTED_HASH = hashOf(/<script[^>]*>([\s\S]*)<\/script>/.exec(injected)![1]!);
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

  // The rule on its own, on pages that differ only in the policy: served as they are, each by its index.
  let server: LoopbackServer;
  let context: BrowserContext;
  let tab: Page;
  beforeAll(async () => {
    server = await serveOnLoopback((req, res) => {
      const [, policy, script] = cases[Number(req.url?.slice(1))] ?? [];
      if (policy === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      const meta = `<meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}">`;
      res.end(`<!doctype html><html><head>${meta}${script}</head><body></body></html>`);
    });
    context = await browser.newContext();
    tab = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  it.each(cases.map((entry, index) => [...entry, index] as const))('%s', async (_name, policy, script, index) => {
    await tab.goto(`http://127.0.0.1:${server.port}/${index}`);
    const ran = await tab.evaluate(() => (window as unknown as { __hubspotIdentify?: unknown }).__hubspotIdentify !== undefined);
    const nonce = script === injectedWithNonce ? NONCE : undefined;
    expect(metaPolicyBlocksScript(policy, { nonce, hash: INJECTED_HASH })).toBe(!ran);
  });
});
