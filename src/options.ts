// The one options interface, its defaults, and the check that turns user options into resolved ones once.
import { HubSpotIdentifyError } from './errors.js';
import type { MaybePromise } from './maybe-promise.js';
import type { TokenStore } from './tokens/store.js';
import type { Logger } from './report.js';

/** What a visitor resolver may return: an email, a visitor, or nothing for an anonymous visitor. */
export type VisitorInput = string | Visitor | null | undefined;

export interface Visitor {
  email: string;
  firstName?: string;
  lastName?: string;
}


export interface CacheOptions {
  /** Tokens held in memory. Default: `10_000`. */
  max?: number;
  /** Oldest token ever served, in ms; must be under 12 h, HubSpot's token lifetime. Default: 11 h. */
  maxAge?: number;
  /** Age in ms after which a token is refreshed in the background while still served. Default: 6 h. */
  refreshAfter?: number;
}

/**
 * Options shared by the core and every adapter. `Req` and `Res` are the framework's request and
 * response (for Koa both are the context).
 */
export interface HubSpotIdentifyOptions<Req = unknown, Res = unknown> {
  /** Private-app access token, or a function of the request for apps serving several HubSpot accounts. Default: `process.env.HUBSPOT_ACCESS_TOKEN`. */
  accessToken?: string | ((req: Req) => MaybePromise<string | null | undefined>);
  /** Who the visitor is: an email, `{ email, firstName?, lastName? }`, or null when anonymous. May be async. Default: the framework's logged-in user (`req.user`, `ctx.state.user`, `request.user`). */
  visitor?: (req: Req) => MaybePromise<VisitorInput>;
  /** Which requests are identified. Default: GET and HEAD requests whose `Accept` takes `text/html`. */
  shouldIdentify?: (req: Req) => boolean;
  /** Inject the script into HTML responses. Default: `true`. */
  inject?: boolean;
  /** `false` sets the settings and calls `widget.load()` once the SDK is ready; `true` lets the loader load the widget itself. Default: `false`. */
  loadImmediately?: boolean;
  /** CSP nonce for the script, or a function of the request and response. Default: `res.locals.cspNonce`, `reply.cspNonce.script` or `ctx.state.cspNonce`. */
  nonce?: string | ((req: Req, res: Res) => string | null | undefined);
  /** Token cache sizes and ages. Default: `{ max: 10_000, maxAge: 11 h, refreshAfter: 6 h }`. */
  cache?: CacheOptions;
  /** Where tokens are kept, e.g. a `RedisTokenStore` for a fleet. Default: an in-memory LRU. */
  store?: TokenStore;
  /** Most time in ms a page waits for HubSpot before it renders anonymous. Default: `1_500`. */
  timeout?: number;
  /** HubSpot API origin. Default: `'https://api.hubapi.com'`. */
  baseUrl?: string;
  /** Which token endpoint: `'v3'` (`/conversations/v3/…`) or a dated version such as `'2026-03'`. Default: `'v3'`. */
  apiVersion?: string;
  /** Path of a JSON endpoint returning `{ email, token }` for the logged-in visitor. Default: `false` (off). */
  tokenRoute?: string | false;
  /** Called with every failure, for the app's own monitoring. Default: none. */
  onError?: (error: import('./errors.js').HubSpotIdentifyError) => void;
  /** Where each kind of failure is said once, with what to do; `false` for silence. Default: `console`. */
  logger?: Logger | false;
  /** The `fetch` used to call HubSpot (tests, proxies). Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Clock in ms, for tests. Default: `Date.now`. */
  now?: () => number;
}

const HOUR = 60 * 60 * 1000;
/** HubSpot's token lifetime: no token may be served at this age. */
export const TOKEN_LIFETIME = 12 * HOUR;

export const DEFAULTS = {
  inject: true,
  loadImmediately: false,
  cache: { max: 10_000, maxAge: 11 * HOUR, refreshAfter: 6 * HOUR },
  timeout: 1_500,
  baseUrl: 'https://api.hubapi.com',
  apiVersion: 'v3',
  tokenRoute: false as string | false,
  /** How long calls stay stopped after HubSpot answers 401 or 403. */
  refusedPause: 5 * 60 * 1000,
  /** How long calls stay stopped after a 429 that names no wait. */
  rateLimitPause: 10 * 1000,
  /** Upper bound of one HubSpot call; it goes on after the page's `timeout` so the token is cached. */
  requestTimeout: 10_000,
} as const;

export interface ResolvedOptions<Req = unknown, Res = unknown> {
  accessToken: (req: Req | undefined) => MaybePromise<string | null | undefined>;
  visitor?: (req: Req) => MaybePromise<VisitorInput>;
  shouldIdentify?: (req: Req) => boolean;
  inject: boolean;
  loadImmediately: boolean;
  nonce?: (req: Req, res: Res) => string | null | undefined;
  cache: Required<CacheOptions>;
  store?: TokenStore;
  timeout: number;
  tokenUrl: string;
  tokenRoute: string | false;
  onError?: (error: HubSpotIdentifyError) => void;
  logger: Logger | false;
  fetch: typeof globalThis.fetch;
  now: () => number;
  refusedPause: number;
  rateLimitPause: number;
  requestTimeout: number;
}

function invalid(message: string): HubSpotIdentifyError {
  return new HubSpotIdentifyError('HSI_INVALID_OPTION', message);
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw invalid(`${name} must be a function, got ${typeof value}.`);
}

function checkDuration(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${name} must be a positive number of milliseconds, got ${String(value)}.`);
  }
}

/** Checks the user's options and merges them with DEFAULTS. Every configuration mistake throws here. */
export function resolveOptions<Req, Res>(options: HubSpotIdentifyOptions<Req, Res> = {}): ResolvedOptions<Req, Res> {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object.');

  const accessToken = options.accessToken ?? process.env['HUBSPOT_ACCESS_TOKEN'];
  if (accessToken === undefined || accessToken === '') {
    throw new HubSpotIdentifyError(
      'HSI_NO_ACCESS_TOKEN',
      'HUBSPOT_ACCESS_TOKEN is not set: pass accessToken or set the variable to a private app token with the scope conversations.visitor_identification.tokens.create.',
    );
  }
  if (typeof accessToken !== 'string' && typeof accessToken !== 'function') {
    throw invalid('accessToken must be a string or a function of the request.');
  }
  checkFunction('visitor', options.visitor);
  checkFunction('shouldIdentify', options.shouldIdentify);
  checkFunction('onError', options.onError);
  checkFunction('fetch', options.fetch);
  checkFunction('now', options.now);
  if (options.nonce !== undefined && typeof options.nonce !== 'string' && typeof options.nonce !== 'function') {
    throw invalid('nonce must be a string or a function of the request and response.');
  }

  const cache = { ...DEFAULTS.cache, ...options.cache };
  if (!Number.isInteger(cache.max) || cache.max < 1) throw invalid(`cache.max must be a positive integer, got ${String(cache.max)}.`);
  checkDuration('cache.maxAge', cache.maxAge);
  checkDuration('cache.refreshAfter', cache.refreshAfter);
  if (cache.maxAge >= TOKEN_LIFETIME) {
    throw invalid(`cache.maxAge must be under 12 hours (${TOKEN_LIFETIME} ms): HubSpot tokens expire 12 hours after they are made. Got ${cache.maxAge}.`);
  }
  if (cache.refreshAfter >= cache.maxAge) {
    throw invalid(`cache.refreshAfter (${cache.refreshAfter}) must be less than cache.maxAge (${cache.maxAge}), so tokens are refreshed before they may no longer be served.`);
  }

  const timeout = options.timeout ?? DEFAULTS.timeout;
  checkDuration('timeout', timeout);

  const baseUrl = options.baseUrl ?? DEFAULTS.baseUrl;
  let origin: URL;
  try {
    origin = new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}.`);
  }
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') throw invalid(`baseUrl must use http or https, got ${origin.protocol}`);

  const apiVersion = options.apiVersion ?? DEFAULTS.apiVersion;
  if (apiVersion !== 'v3' && !/^\d{4}-\d{2}$/.test(apiVersion)) {
    throw invalid(`apiVersion must be 'v3' or a dated version such as '2026-03', got ${JSON.stringify(apiVersion)}.`);
  }
  const path = apiVersion === 'v3'
    ? '/conversations/v3/visitor-identification/tokens/create'
    : `/visitor-identification/${apiVersion}/tokens/create`;

  const tokenRoute = options.tokenRoute ?? DEFAULTS.tokenRoute;
  if (tokenRoute !== false && (typeof tokenRoute !== 'string' || !tokenRoute.startsWith('/'))) {
    throw invalid(`tokenRoute must be a path starting with '/', or false. Got ${JSON.stringify(tokenRoute)}.`);
  }

  const logger = options.logger === undefined ? console : options.logger;
  if (logger !== false && (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')) {
    throw invalid('logger must have a warn(message) method, or be false.');
  }

  if (options.fetch === undefined && typeof globalThis.fetch !== 'function') {
    throw invalid('No fetch available: use Node.js 20.19 or later, or pass fetch.');
  }
  // Looked up per call, so that interceptors installed after creation (nock, undici mocks) still apply.
  const fetchFn: typeof globalThis.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  if (options.store !== undefined && (typeof options.store?.get !== 'function' || typeof options.store?.set !== 'function')) {
    throw invalid('store must have get(key) and set(key, entry, ttlMs) methods, like MemoryTokenStore or RedisTokenStore.');
  }

  const nonce = options.nonce;
  return {
    accessToken: typeof accessToken === 'string' ? () => accessToken : (req) => accessToken(req as Req),
    visitor: options.visitor,
    shouldIdentify: options.shouldIdentify,
    inject: options.inject ?? DEFAULTS.inject,
    loadImmediately: options.loadImmediately ?? DEFAULTS.loadImmediately,
    nonce: typeof nonce === 'string' ? () => nonce : nonce,
    cache,
    store: options.store,
    timeout,
    tokenUrl: baseUrl.replace(/\/+$/, '') + path,
    tokenRoute,
    onError: options.onError,
    logger,
    fetch: fetchFn,
    now: options.now ?? Date.now,
    refusedPause: DEFAULTS.refusedPause,
    rateLimitPause: DEFAULTS.rateLimitPause,
    requestTimeout: Math.max(DEFAULTS.requestTimeout, timeout),
  };
}
