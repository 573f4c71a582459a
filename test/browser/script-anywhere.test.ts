// The inline scripts in real Chromium wherever they sit: the page's own later settings and ready functions, every loader order, and odd globals that must not make them throw.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetScriptTag, scriptTag, type WidgetSettings } from '../../src/html/script.js';
import { emailMark, loaderScript } from '../../src/testing/loader-script.js';
import { launchChromium } from '../helpers/browser.js';

interface FakeState {
  loadCalls: number;
  loads: number;
  identifiedLoads: number;
  identified: string | null;
  clears: number;
  settingsAtStart: Record<string, unknown>;
  settingsAtLoad: Record<string, unknown> | null;
}

interface Visit {
  fake: FakeState | undefined;
  errors: string[];
  pageReady: number | undefined;
  settings: Record<string, unknown> | undefined;
}

const ORIGIN = 'http://pages.test';
const EMAIL = 'ada@example.com';
// The fake loader takes a token as minted for an email when it ends with the email's mark.
const settingsFor = (extra: Partial<WidgetSettings> = {}): WidgetSettings => ({
  identificationEmail: EMAIL,
  identificationToken: `tok-${emailMark(EMAIL)}`,
  loadImmediately: false,
  ...extra,
});

/** The pieces a page is made of. */
const inline = (code: string) => `<script>${code}</script>`;
const PAGE_FIELDS = "disableAttachment: true, identificationEmail: 'page@x.io', identificationToken: 'page-token'";
const piece = {
  syncLoader: `<script src="${ORIGIN}/loader.js"></script>`,
  asyncLoader: `<script type="text/javascript" id="hs-script-loader" async defer src="${ORIGIN}/loader.js"></script>`,
  windowSettings: inline(`window.hsConversationsSettings = { ${PAGE_FIELDS} };`),
  varSettings: inline(`var hsConversationsSettings = { ${PAGE_FIELDS} };`),
  laterWindowSettings: inline("window.hsConversationsSettings = { inlineEmbedSelector: '#later' };"),
  laterQuietSettings: inline("window.hsConversationsSettings = { inlineEmbedSelector: '#later', loadImmediately: false };"),
  laterVarSettings: inline("var hsConversationsSettings = { inlineEmbedSelector: '#later' };"),
  onReady: inline('window.hsConversationsOnReady = [function () { window.pageReady = (window.pageReady || 0) + 1; }];'),
  varOnReady: inline('var hsConversationsOnReady = [function () { window.pageReady = (window.pageReady || 0) + 1; }];'),
  pushOnReady: inline(
    '(window.hsConversationsOnReady = window.hsConversationsOnReady || []).push(function () { window.pageReady = (window.pageReady || 0) + 1; });',
  ),
};

const page = (head: string, body: string) => `<!doctype html><html><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;

let browser: Browser;
let context: BrowserContext;
const pages = new Map<string, string>();

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  context = await browser.newContext();
  const loader = loaderScript();
  await context.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/loader.js') return route.fulfill({ contentType: 'text/javascript', body: loader });
    const html = pages.get(path);
    return html === undefined
      ? route.fulfill({ status: 404, body: '' })
      : route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
  });
  return () => context.close();
});

/** Opens the page, waits for `settled` (an expression over the fake's record `f`), and reports what happened, page errors included. */
async function visit(html: string, settled = 'f && f.loads >= 1'): Promise<Visit> {
  const path = `/page-${pages.size}`;
  pages.set(path, html);
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  await tab.goto(`${ORIGIN}${path}`);
  await tab.waitForFunction(`(function (f) { return ${settled}; })(window.__hubspotFake)`);
  // Let any later load() or clear() that should not happen show itself.
  await tab.waitForTimeout(50);
  const state = await tab.evaluate(() => {
    const w = window as unknown as { __hubspotFake?: FakeState; pageReady?: number; hsConversationsSettings?: Record<string, unknown> };
    let settings: Record<string, unknown> | undefined;
    try {
      settings = JSON.parse(JSON.stringify(w.hsConversationsSettings ?? null)) ?? undefined;
    } catch {
      settings = undefined;
    }
    return { fake: w.__hubspotFake, pageReady: w.pageReady, settings };
  });
  await tab.close();
  return { ...state, errors };
}

describe('the identity script wherever it sits, whatever the page assigns after it', () => {
  const S = () => scriptTag(settingsFor());
  // [name, head, body, loads, seen]: loads is 2 where HubSpot's SDK loaded the widget before the identity reached the
  // settings; seen is false where it loaded before the page's own settings were assigned (the page's fields come too late).
  const layouts: Array<[string, () => string, () => string, number, boolean]> = [];
  for (const [kind, settings] of [
    ['window.hsConversationsSettings =', piece.windowSettings],
    ['var hsConversationsSettings =', piece.varSettings],
  ] as const) {
    for (const [loaderName, loader] of [
      ['sync', piece.syncLoader],
      ['async', piece.asyncLoader],
    ] as const) {
      layouts.push(
        [`${kind} in <head> before the script, ${loaderName} loader in <body>`, () => settings + S(), () => loader, 1, true],
        [`script in <head>, ${kind} in <body>, then the ${loaderName} loader`, S, () => settings + loader, 1, true],
        [`script in <head>, the ${loaderName} loader in <body>, ${kind} after it`, S, () => loader + settings, 1, loaderName === 'async'],
        [`script and the ${loaderName} loader in <head>, ${kind} in <body>`, () => S() + loader, () => settings, 1, loaderName === 'async'],
      );
    }
    layouts.push([
      `${kind} and the sync loader in <head> before the script (widget loaded anonymous)`,
      () => settings + piece.syncLoader + S(),
      () => '',
      2,
      true,
    ]);
  }

  it.each(layouts)("%s: loads once as the visitor, the page's fields kept, ours winning", async (_name, head, body, loads, seen) => {
    const { fake, errors, settings } = await visit(page(head(), body()), 'f && f.identifiedLoads >= 1');
    expect(errors).toEqual([]);
    expect(fake!.identified).toBe(EMAIL);
    expect(fake!.identifiedLoads).toBe(1);
    expect(fake!.loads).toBe(loads);
    if (loads === 1) expect(fake!.loadCalls).toBe(1);
    expect(fake!.settingsAtLoad).toEqual(seen ? { disableAttachment: true, ...settingsFor() } : settingsFor());
    expect(settings).toEqual({ disableAttachment: true, ...settingsFor() });
  });

  it.each([
    ['window.hsConversationsSettings =', piece.laterWindowSettings, 2],
    ['window.hsConversationsSettings = (loadImmediately false)', piece.laterQuietSettings, 1],
    ['var hsConversationsSettings =', piece.laterVarSettings, 2],
  ] as const)(
    "a `var` in <head> before the script, reassigned later by %s before the loader: identified once, the SDK's settings backed up at ready",
    async (_name, later, loads) => {
      const { fake, errors } = await visit(page(piece.varSettings + S(), later + piece.asyncLoader), 'f && f.identifiedLoads >= 1');
      expect(errors).toEqual([]);
      expect(fake!.identified).toBe(EMAIL);
      expect(fake!.identifiedLoads).toBe(1);
      expect(fake!.loads).toBe(loads);
      expect(fake!.settingsAtLoad).toMatchObject({ inlineEmbedSelector: '#later', ...settingsFor() });
    },
  );

  it.each([
    ['window.hsConversationsOnReady = [fn]', piece.onReady],
    ['var hsConversationsOnReady = [fn]', piece.varOnReady],
    ['(hsConversationsOnReady || []).push(fn)', piece.pushOnReady],
  ] as const)('the page assigns %s after the script: its function and ours both run once', async (_name, onReady) => {
    for (const loader of [piece.asyncLoader, piece.syncLoader]) {
      const { fake, errors, pageReady } = await visit(page(S(), piece.windowSettings + onReady + loader), 'f && f.identifiedLoads >= 1');
      expect(errors).toEqual([]);
      expect(pageReady).toBe(1);
      expect(fake).toMatchObject({ identified: EMAIL, identifiedLoads: 1, loads: 1, loadCalls: 1 });
    }
  });

  it('a later top-level `let hsConversationsSettings` is no SyntaxError (our property stays configurable)', async () => {
    const { fake, errors } = await visit(
      page(S(), inline('let hsConversationsSettings = { a: 1 };') + piece.asyncLoader),
      'f && f.identifiedLoads >= 1',
    );
    expect(errors).toEqual([]);
    expect(fake!.identified).toBe(EMAIL);
  });

  describe('loadImmediately true: the loader loads the widget', () => {
    const L = (): string => scriptTag(settingsFor({ loadImmediately: true }));
    it.each<[string, () => string, () => string, number]>([
      ['script in <head>, page settings and async loader in <body>', () => L(), () => piece.windowSettings + piece.asyncLoader, 1],
      ['script in <head>, sync loader then a `var` in <body>', () => L(), () => piece.syncLoader + piece.varSettings, 1],
      ['page settings and sync loader before the script', () => piece.windowSettings + piece.syncLoader + L(), () => '', 2],
      [
        'a `var` before the script, reassigned after it',
        () => piece.varSettings + L(),
        () => piece.laterWindowSettings + piece.asyncLoader,
        2,
      ],
    ])('%s: identified once', async (_name, head, body, loads) => {
      const { fake, errors } = await visit(page(head(), body()), 'f && f.identifiedLoads >= 1');
      expect(errors).toEqual([]);
      expect(fake).toMatchObject({ identified: EMAIL, identifiedLoads: 1, loads });
      expect(fake!.settingsAtLoad).toMatchObject({ loadImmediately: true });
      if (loads === 1) expect(fake!.loadCalls).toBe(1);
    });
  });

  it('copies of the script in <head> and <body>: nothing more than one', async () => {
    const { fake, errors } = await visit(
      page(S() + S(), piece.windowSettings + S() + piece.asyncLoader + S()),
      'f && f.identifiedLoads >= 1',
    );
    expect(errors).toEqual([]);
    expect(fake).toMatchObject({ identified: EMAIL, identifiedLoads: 1, loads: 1, loadCalls: 1 });
  });

  it("resetFirst in <head> with the page's own ready functions after it: cleared once, then identified once", async () => {
    const R = scriptTag(settingsFor(), null, { resetFirst: true });
    const { fake, errors, pageReady } = await visit(
      page(R, piece.windowSettings + piece.onReady + piece.asyncLoader),
      'f && f.identifiedLoads >= 1',
    );
    expect(errors).toEqual([]);
    expect(pageReady).toBe(1);
    expect(fake).toMatchObject({ identified: EMAIL, identifiedLoads: 1, clears: 1 });
  });
});

describe('the reset script in <head>, whatever the page assigns after it', () => {
  it.each([
    ['window.hsConversationsOnReady = [fn]', piece.onReady],
    ['var hsConversationsOnReady = [fn]', piece.varOnReady],
  ] as const)("%s after it: clears once, the page's function runs once", async (_name, onReady) => {
    for (const loader of [piece.asyncLoader, piece.syncLoader]) {
      const { fake, errors, pageReady } = await visit(
        page(resetScriptTag(), piece.windowSettings + onReady + loader),
        'f && f.clears >= 1',
      );
      expect(errors).toEqual([]);
      expect(pageReady).toBe(1);
      expect(fake!.clears).toBe(1);
    }
  });
});

describe('odd globals: the scripts throw nothing into the page and do what they can', () => {
  const thrower = "function () { throw new Error('the page\\'s getter'); }";
  const pageReadyFn = 'function () { window.pageReady = (window.pageReady || 0) + 1; }';
  // [name, set up before the script, after the script (before the loader), loader, identified, expected page function runs]
  const cases: Array<[string, string, string, string, boolean, number | undefined]> = [
    [
      'HubSpotConversations is a throwing getter (removed before the loader)',
      `Object.defineProperty(window, 'HubSpotConversations', { configurable: true, get: ${thrower} });`,
      'delete window.HubSpotConversations;',
      piece.asyncLoader,
      true,
      undefined,
    ],
    // Deleted before the loader, as the SDK would throw on it: the identity comes back at ready.
    [
      'hsConversationsSettings is a throwing getter',
      `Object.defineProperty(window, 'hsConversationsSettings', { configurable: true, get: ${thrower} });`,
      'delete window.hsConversationsSettings;',
      piece.asyncLoader,
      true,
      undefined,
    ],
    ['hsConversationsSettings is a primitive', 'window.hsConversationsSettings = 42;', '', piece.asyncLoader, true, undefined],
    [
      'hsConversationsSettings is a frozen window property (defineProperty refused)',
      "Object.defineProperty(window, 'hsConversationsSettings', { value: { disableAttachment: true }, writable: false, configurable: false, enumerable: true });",
      '',
      piece.asyncLoader,
      true,
      undefined,
    ],
    [
      'Object.defineProperty throws',
      "window.realDefine = Object.defineProperty; Object.defineProperty = function () { throw new TypeError('refused'); };",
      'Object.defineProperty = window.realDefine;',
      piece.syncLoader,
      true,
      undefined,
    ],
    ['hsConversationsOnReady is {}', 'window.hsConversationsOnReady = {};', '', piece.asyncLoader, true, undefined],
    ['hsConversationsOnReady is a function', `window.hsConversationsOnReady = ${pageReadyFn};`, '', piece.asyncLoader, true, 1],
    [
      'hsConversationsOnReady is a frozen array',
      `window.hsConversationsOnReady = Object.freeze([${pageReadyFn}]);`,
      '',
      piece.asyncLoader,
      true,
      1,
    ],
    ['hsConversationsOnReady is a string', "window.hsConversationsOnReady = 'ready';", '', piece.asyncLoader, true, undefined],
    [
      'hsConversationsOnReady assigned a string after the script',
      '',
      "window.hsConversationsOnReady = 'ready';",
      piece.asyncLoader,
      true,
      undefined,
    ],
    // Restored after the loader: our script and its ready function run with push throwing.
    [
      'Array.prototype.push throws',
      "window.realPush = Array.prototype.push; Array.prototype.push = function () { throw new Error('push'); };",
      '',
      piece.syncLoader + inline('Array.prototype.push = window.realPush;'),
      true,
      undefined,
    ],
  ];

  it.each(cases)('%s: identify script', async (_name, before, after, loader, identified, pageReady) => {
    const result = await visit(page(inline(before) + scriptTag(settingsFor()), inline(after) + loader), 'f && f.loads >= 1');
    expect(result.errors).toEqual([]);
    expect(result.fake!.identified).toBe(identified ? EMAIL : null);
    expect(result.fake!.identifiedLoads).toBe(identified ? 1 : 0);
    expect(result.pageReady).toBe(pageReady);
  });

  it.each(cases)('%s: reset script', async (_name, before, after, loader, _identified, pageReady) => {
    const result = await visit(page(inline(before) + resetScriptTag(), inline(after) + loader), 'f && f.clears >= 1');
    expect(result.errors).toEqual([]);
    expect(result.fake!.clears).toBe(1);
    expect(result.pageReady).toBe(pageReady);
  });

  it.each([
    [
      'hsConversationsSettings a throwing getter that cannot be replaced',
      `Object.defineProperty(window, 'hsConversationsSettings', { get: ${thrower} });`,
    ],
    ['HubSpotConversations a throwing getter that stays', `Object.defineProperty(window, 'HubSpotConversations', { get: ${thrower} });`],
    [
      'hsConversationsOnReady a frozen, read-only window property',
      "Object.defineProperty(window, 'hsConversationsOnReady', { value: Object.freeze([]), writable: false, configurable: false });",
    ],
  ] as const)('%s (no SDK can run): neither script throws', async (_name, before) => {
    for (const script of [scriptTag(settingsFor()), resetScriptTag(), scriptTag(settingsFor(), null, { resetFirst: true })]) {
      const { errors } = await visit(page(inline(before) + script + inline('window.__hubspotFake = { loads: 0 };'), ''), 'f');
      expect(errors).toEqual([]);
    }
  });

  it('settings frozen in a frozen window property: the widget loads anonymous, once (a reload would change nothing)', async () => {
    const frozen =
      "Object.defineProperty(window, 'hsConversationsSettings', { value: Object.freeze({ disableAttachment: true }), writable: false, configurable: false });";
    const { fake, errors } = await visit(page(inline(frozen) + scriptTag(settingsFor()), piece.asyncLoader));
    expect(errors).toEqual([]);
    expect(fake).toMatchObject({ identified: null, loads: 1 });
  });
});
