// The one options interface, its defaults, and the check that turns user options into resolved ones once.
import { HubSpotIdentifyError } from './errors.js';
import type { MaybePromise } from './maybe-promise.js';
import type { TokenStore } from './tokens/store.js';
import type { Logger } from './report.js';
import type { VisitorInput } from './tokens/visitor.js';

export type { Visitor, VisitorInput } from './tokens/visitor.js';

export interface CacheOptions {
  /** Tokens held in memory. Default: `10_000`. */
  max?: number;
  /** Oldest token ever served, in ms; must be under 12 h, HubSpot's token lifetime. Default: 11 h. */
  maxAge?: number;
  /** Age in ms after which a token is refreshed in the background while still served. Default: 6 h, or the smaller of 6 h and maxAge / 2 when maxAge is set. */
  refreshAfter?: number;
}

/**
 * Widget settings besides identification, set in `window.hsConversationsSettings` on identified
 * pages (HubSpot's names and meanings).
 */
export interface WidgetOptions {
  /** CSS selector of an element the chat is embedded in instead of the floating launcher. Default: none. */
  inlineEmbedSelector?: string;
  /** Show HubSpot's cookie banner in the widget: `true`, `false`, `'ON_WIDGET_LOAD'` or `'ON_EXIT_INTENT'`. Default: none (HubSpot's own). */
  enableWidgetCookieBanner?: boolean | 'ON_WIDGET_LOAD' | 'ON_EXIT_INTENT';
  /** Hide the attachment button. Default: none (HubSpot's own, `false`). */
  disableAttachment?: boolean;
  /** Do not focus the chat input when the widget opens. Default: none (HubSpot's own, `false`). */
  disableInitialInputFocus?: boolean;
  /** Style the widget with classes instead of inline styles (strict CSP `style-src`). Default: none (HubSpot's own, `false`). */
  avoidInlineStyles?: boolean;
}

/**
 * Options shared by the core and every adapter. `Req` and `Res` are the framework's request and
 * response (for Koa both are the context, for Hono `c`, for fetch the `Request`).
 */
export interface HubSpotIdentifyOptions<Req = unknown, Res = unknown> {
  /** HubSpot access token (a legacy private-app token, or a Service Key / static token of a developer-platform app), or a function of the request for apps serving several HubSpot accounts. Default: `process.env.HUBSPOT_ACCESS_TOKEN`. */
  accessToken?: string | ((req: Req) => MaybePromise<string | null | undefined>);
  /** Who the visitor is: an email, `{ email, firstName?, lastName? }`, or null when anonymous. May be async. Default: the framework's logged-in user (`req.user`, `ctx.state.user`, `request.user`, `c.get('user')`). */
  visitor?: (req: Req) => MaybePromise<VisitorInput>;
  /** Which requests are identified. Default: GET and HEAD requests whose `Accept` names `text/html` (a browser's page load). */
  shouldIdentify?: (req: Req) => boolean;
  /** Inject the script into HTML responses. Default: `true`. */
  inject?: boolean;
  /** `false` follows HubSpot's flow (settings, then `widget.load()`); `true` lets the loader load the widget itself. Default: `false`. */
  loadImmediately?: boolean;
  /** Other `hsConversationsSettings` fields to set on identified pages. Default: none. */
  widget?: WidgetOptions;
  /** Reset the widget (`clear({ resetWidget: true })`) on the first anonymous page after an identified one in the same browser, and before identifying a different visitor. Default: `true`. */
  resetOnLogout?: boolean;
  /** CSP nonce for the script, or a function of the request and response. Default: `res.locals.cspNonce`, `reply.cspNonce.script`, `ctx.state.cspNonce`, Hono's `c.get('secureHeadersNonce')`. */
  nonce?: string | ((req: Req, res: Res) => string | null | undefined);
  /** Token cache sizes and ages. Default: `{ max: 10_000, maxAge: 11 h, refreshAfter: 6 h }`. */
  cache?: CacheOptions;
  /** Where tokens are kept, e.g. a `RedisTokenStore` for a fleet. Default: an in-memory LRU. */
  store?: TokenStore;
  /** Most time in ms a page waits for HubSpot and the store before it renders anonymous; a late token is still cached. Default: `1_500`. */
  timeout?: number;
  /** HubSpot API origin. Default: `'https://api.hubapi.com'`. */
  baseUrl?: string;
  /** Which token endpoint: a dated version (`'2026-03'`, `'2026-09'`, any `YYYY-MM`) or `'v3'`, the legacy path HubSpot stops supporting in September 2027. Default: `'2026-03'`. */
  apiVersion?: string;
  /** Path of a JSON endpoint answering `{ email, token, expiresAt }` for the logged-in visitor (401 anonymous, 503 no token in time; `no-store`). Default: `false` (off). */
  tokenRoute?: string | false;
  /** Called with every failure, for the app's own monitoring; a throwing onError is contained. Default: none. */
  onError?: (error: import('./errors.js').HubSpotIdentifyError) => void;
  /** Where each kind of failure is said once, with what to do; `false` for silence. A throwing logger is contained. Default: `console`. */
  logger?: Logger | false;
  /** The `fetch` used to call HubSpot (tests, proxies). Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Clock in ms, for tests. Default: `Date.now`. */
  now?: () => number;
}

/** Every option key, so a misspelt one is an error rather than a silent default. */
const OPTION_KEYS: readonly (keyof HubSpotIdentifyOptions)[] = [
  'accessToken',
  'visitor',
  'shouldIdentify',
  'inject',
  'loadImmediately',
  'widget',
  'resetOnLogout',
  'nonce',
  'cache',
  'store',
  'timeout',
  'baseUrl',
  'apiVersion',
  'tokenRoute',
  'onError',
  'logger',
  'fetch',
  'now',
];
const CACHE_KEYS: readonly (keyof CacheOptions)[] = ['max', 'maxAge', 'refreshAfter'];
const WIDGET_KEYS: readonly (keyof WidgetOptions)[] = [
  'inlineEmbedSelector',
  'enableWidgetCookieBanner',
  'disableAttachment',
  'disableInitialInputFocus',
  'avoidInlineStyles',
];

const HOUR = 60 * 60 * 1000;
/** HubSpot's token lifetime: no token may be served at this age. */
export const TOKEN_LIFETIME = 12 * HOUR;

const freeze = <T extends object>(value: T): Readonly<T> => Object.freeze(value);

export const DEFAULTS = freeze({
  inject: true,
  loadImmediately: false,
  resetOnLogout: true,
  /** With an app's own maxAge, refreshAfter defaults to the smaller of this and maxAge / 2. */
  cache: freeze({ max: 10_000, maxAge: 11 * HOUR, refreshAfter: 6 * HOUR }),
  timeout: 1_500,
  baseUrl: 'https://api.hubapi.com',
  apiVersion: '2026-03',
  tokenRoute: false as string | false,
});

/** How the token source paces HubSpot: not options, HubSpot's own rules. */
const PACING = freeze({
  /** How long calls stay stopped after HubSpot answers 401 or 403. */
  refusedPause: 5 * 60 * 1000,
  /** How long calls stay stopped after a 429 TEN_SECONDLY_ROLLING that names no interval. */
  rateLimitPause: 10 * 1000,
  /** How long calls stay stopped, at a time, after a 429 DAILY. */
  dailyLimitPause: 60 * 60 * 1000,
  /** Upper bound of one HubSpot call; it goes on after the page's `timeout` so the token is cached. */
  requestTimeout: 10_000,
});

export interface ResolvedOptions<Req = unknown, Res = unknown> {
  accessToken: (req: Req | undefined) => MaybePromise<string | null | undefined>;
  visitor?: (req: Req) => MaybePromise<VisitorInput>;
  shouldIdentify?: (req: Req) => boolean;
  inject: boolean;
  loadImmediately: boolean;
  widget: Readonly<WidgetOptions>;
  resetOnLogout: boolean;
  nonce?: (req: Req, res: Res) => string | null | undefined;
  cache: Readonly<Required<CacheOptions>>;
  store?: TokenStore;
  timeout: number;
  apiVersion: string;
  tokenUrl: string;
  tokenRoute: string | false;
  onError?: (error: HubSpotIdentifyError) => void;
  logger: Logger | false;
  fetch: typeof globalThis.fetch;
  now: () => number;
  refusedPause: number;
  rateLimitPause: number;
  dailyLimitPause: number;
  requestTimeout: number;
}

function invalid(message: string): HubSpotIdentifyError {
  return new HubSpotIdentifyError('HSI_INVALID_OPTION', message);
}

/** A value as an error message shows it: strings quoted, so `'1500'` is not mistaken for `1500`. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The known key closest to a misspelt one (at most two edits away), for the error message. */
function closest(key: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function checkKeys(where: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    throw invalid(`Unknown option ${where}${key}${guess ? `: did you mean ${where}${guess}?` : ''} Known options: ${known.join(', ')}.`);
  }
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw invalid(`${name} must be a function, got ${shown(value)}.`);
}

function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${name} must be true or false, got ${shown(value)}.`);
}

function checkDuration(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${name} must be a positive number of milliseconds, got ${shown(value)}.`);
  }
}

function checkPlainObject(name: string, value: unknown): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalid(`${name} must be an object, got ${shown(value)}.`);
  }
}

function resolveWidget(widget: unknown): Readonly<WidgetOptions> {
  checkPlainObject('widget', widget);
  if (widget === undefined) return freeze({});
  checkKeys('widget.', widget, WIDGET_KEYS);
  const settings = widget as WidgetOptions;
  if (
    settings.inlineEmbedSelector !== undefined &&
    (typeof settings.inlineEmbedSelector !== 'string' || settings.inlineEmbedSelector === '')
  ) {
    throw invalid(`widget.inlineEmbedSelector must be a CSS selector string, got ${shown(settings.inlineEmbedSelector)}.`);
  }
  const banner = settings.enableWidgetCookieBanner;
  if (banner !== undefined && typeof banner !== 'boolean' && banner !== 'ON_WIDGET_LOAD' && banner !== 'ON_EXIT_INTENT') {
    throw invalid(`widget.enableWidgetCookieBanner must be true, false, 'ON_WIDGET_LOAD' or 'ON_EXIT_INTENT', got ${shown(banner)}.`);
  }
  checkBoolean('widget.disableAttachment', settings.disableAttachment);
  checkBoolean('widget.disableInitialInputFocus', settings.disableInitialInputFocus);
  checkBoolean('widget.avoidInlineStyles', settings.avoidInlineStyles);
  const defined = Object.entries(settings).filter(([, value]) => value !== undefined);
  return freeze(Object.fromEntries(defined) as WidgetOptions);
}

function resolveCache(cache: unknown): Readonly<Required<CacheOptions>> {
  checkPlainObject('cache', cache);
  if (cache !== undefined) checkKeys('cache.', cache, CACHE_KEYS);
  const given = (cache ?? {}) as CacheOptions;
  const max = given.max ?? DEFAULTS.cache.max;
  const maxAge = given.maxAge ?? DEFAULTS.cache.maxAge;
  if (!Number.isInteger(max) || max < 1) throw invalid(`cache.max must be a positive integer, got ${shown(max)}.`);
  checkDuration('cache.maxAge', maxAge);
  if (maxAge >= TOKEN_LIFETIME) {
    throw invalid(
      `cache.maxAge must be under 12 hours (${TOKEN_LIFETIME} ms): HubSpot tokens expire 12 hours after they are made. Got ${maxAge}.`,
    );
  }
  // With the default maxAge, the default refreshAfter (6 h); with the app's own maxAge, at most half of it.
  const refreshAfter =
    given.refreshAfter ?? (given.maxAge === undefined ? DEFAULTS.cache.refreshAfter : Math.min(DEFAULTS.cache.refreshAfter, maxAge / 2));
  checkDuration('cache.refreshAfter', refreshAfter);
  if (refreshAfter >= maxAge) {
    throw invalid(
      `cache.refreshAfter (${refreshAfter}) must be less than cache.maxAge (${maxAge}), so tokens are refreshed before they may no longer be served.`,
    );
  }
  return freeze({ max, maxAge, refreshAfter });
}

/** The token endpoint's path for an API version. */
export function tokenPath(apiVersion: string): string {
  return apiVersion === 'v3'
    ? '/conversations/v3/visitor-identification/tokens/create'
    : `/visitor-identification/${apiVersion}/tokens/create`;
}

/** An environment variable where the runtime has `process.env` (Node, Bun, Deno's Node layer); undefined elsewhere (Workers). */
function environment(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

/** Checks the user's options and merges them with DEFAULTS. Every configuration mistake throws here. */
export function resolveOptions<Req, Res>(options: HubSpotIdentifyOptions<Req, Res> = {}): ResolvedOptions<Req, Res> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`options must be an object, got ${shown(options)}.`);
  }
  checkKeys('', options, OPTION_KEYS);
  for (const [key, value] of Object.entries(options)) {
    if (value === null) throw invalid(`${key} is null: leave it out (or undefined) for the default.`);
  }

  const accessToken = options.accessToken ?? environment('HUBSPOT_ACCESS_TOKEN');
  if (options.accessToken === '') {
    throw new HubSpotIdentifyError(
      'HSI_NO_ACCESS_TOKEN',
      "accessToken is an empty string (an unset variable read with `?? ''`?): pass a HubSpot private-app token or Service Key with the scope conversations.visitor_identification.tokens.create, or leave accessToken out to read HUBSPOT_ACCESS_TOKEN.",
    );
  }
  if (accessToken === undefined || accessToken === '') {
    throw new HubSpotIdentifyError(
      'HSI_NO_ACCESS_TOKEN',
      'HUBSPOT_ACCESS_TOKEN is not set: pass accessToken or set the variable to a HubSpot private-app token or Service Key with the scope conversations.visitor_identification.tokens.create.',
    );
  }
  if (typeof accessToken !== 'string' && typeof accessToken !== 'function') {
    throw invalid(
      `accessToken must be a string or a function of the request, got ${typeof accessToken === 'object' ? shown(accessToken) : typeof accessToken}.`,
    );
  }
  checkFunction('visitor', options.visitor);
  checkFunction('shouldIdentify', options.shouldIdentify);
  checkFunction('onError', options.onError);
  checkFunction('fetch', options.fetch);
  checkFunction('now', options.now);
  checkBoolean('inject', options.inject);
  checkBoolean('loadImmediately', options.loadImmediately);
  checkBoolean('resetOnLogout', options.resetOnLogout);
  if (options.nonce !== undefined && typeof options.nonce !== 'string' && typeof options.nonce !== 'function') {
    throw invalid(`nonce must be a string or a function of the request and response, got ${shown(options.nonce)}.`);
  }

  const cache = resolveCache(options.cache);
  const widget = resolveWidget(options.widget);

  const timeout = options.timeout ?? DEFAULTS.timeout;
  checkDuration('timeout', timeout);

  const baseUrl = options.baseUrl ?? DEFAULTS.baseUrl;
  let origin: URL;
  try {
    if (typeof baseUrl !== 'string') throw new TypeError();
    origin = new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl must be an absolute http(s) URL, got ${shown(baseUrl)}.`);
  }
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') throw invalid(`baseUrl must use http or https, got ${origin.protocol}`);
  if (origin.search !== '' || origin.hash !== '')
    throw invalid(`baseUrl must be an origin (and optional path) without a query or fragment, got ${shown(baseUrl)}.`);

  const apiVersion = options.apiVersion ?? DEFAULTS.apiVersion;
  if (typeof apiVersion !== 'string' || (apiVersion !== 'v3' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(apiVersion))) {
    throw invalid(
      `apiVersion must be a dated version such as '2026-03' or '2026-09', or 'v3' for the legacy path, got ${shown(apiVersion)}.`,
    );
  }

  const tokenRoute = options.tokenRoute ?? DEFAULTS.tokenRoute;
  if (tokenRoute !== false && (typeof tokenRoute !== 'string' || !tokenRoute.startsWith('/'))) {
    throw invalid(`tokenRoute must be a path starting with '/', or false. Got ${shown(tokenRoute)}.`);
  }

  const logger = options.logger === undefined ? console : options.logger;
  if (logger !== false && (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')) {
    throw invalid(`logger must have a warn(message) method (pino: pass pino(), not pino), or be false; got ${shown(logger)}.`);
  }

  if (options.fetch === undefined && typeof globalThis.fetch !== 'function') {
    throw invalid('No fetch available: use Node.js 20.19 or later, or pass fetch.');
  }
  // Looked up per call, so that interceptors installed after creation (nock, undici mocks) still apply.
  const fetchFn: typeof globalThis.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const store = options.store;
  if (
    store !== undefined &&
    (typeof store !== 'object' ||
      store === null ||
      typeof store.get !== 'function' ||
      typeof store.set !== 'function' ||
      typeof store.delete !== 'function')
  ) {
    throw invalid('store must have get(key), set(key, entry, ttlMs) and delete(key) methods, like MemoryTokenStore or RedisTokenStore.');
  }

  const nonce = options.nonce;
  return {
    accessToken: typeof accessToken === 'string' ? () => accessToken : (req) => accessToken(req as Req),
    visitor: options.visitor,
    shouldIdentify: options.shouldIdentify,
    inject: options.inject ?? DEFAULTS.inject,
    loadImmediately: options.loadImmediately ?? DEFAULTS.loadImmediately,
    widget,
    resetOnLogout: options.resetOnLogout ?? DEFAULTS.resetOnLogout,
    nonce: typeof nonce === 'string' ? () => nonce : nonce,
    cache,
    store,
    timeout,
    apiVersion,
    tokenUrl: baseUrl.replace(/\/+$/, '') + tokenPath(apiVersion),
    tokenRoute,
    onError: options.onError,
    logger,
    fetch: fetchFn,
    now: options.now ?? Date.now,
    refusedPause: PACING.refusedPause,
    rateLimitPause: PACING.rateLimitPause,
    dailyLimitPause: PACING.dailyLimitPause,
    requestTimeout: Math.max(PACING.requestTimeout, timeout),
  };
}
