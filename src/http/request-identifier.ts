// What every adapter shares: from a request to an identity, the token route, and which responses to rewrite.
import { HubSpotIdentifyError } from '../errors.js';
import { createIdentifier, type Identifier, type Identity } from '../identifier.js';
import type { HubSpotIdentifyOptions, VisitorInput } from '../options.js';
import { acceptsHtml, isEncoded, isHtml } from './page-load.js';
import { isPromise, LATE, within, type MaybePromise } from '../maybe-promise.js';
import { allowScriptByHash, makePrivate, nonceFreeScriptText, statusTakesScript, type HeaderAccess } from './response-policy.js';
import { expireMarkerCookie, holdsMarker, mayHoldMarker, readMarker, setMarkerCookie } from './logout-marker.js';
import { resetScriptTag, scriptTag } from '../html/script.js';
import { checkVisitor, markerValue } from '../tokens/visitor.js';

/** How an adapter reads its framework's request. */
export interface FrameworkBinding<Req, Res> {
  /** The framework's usual logged-in user (the default `visitor`). */
  user(req: Req): unknown;
  method(req: Req): string;
  accept(req: Req): string | undefined;
  /** The framework's conventional CSP nonce (the default `nonce`). */
  nonce(req: Req, res: Res): unknown;
  /** The request's Cookie header; without it the logout marker is off. */
  cookie?(req: Req): string | undefined;
  /** Whether the request came over https (the marker cookie is then `Secure`). */
  secure?(req: Req): boolean;
}

/** identifyPage()'s answer for a page load whose visitor the resolver did not name (late authentication may name them later). */
export const ANONYMOUS_PAGE: unique symbol = Symbol('hubspot-identify.anonymous-page');

/**
 * What a page load's HTML carries besides (or instead of) the plain identity, under `resetOnLogout`:
 * the logout marker's Set-Cookie, and the script to inject: the identity's, the identity's resetting
 * first (a change of visitor), or the reset script alone (an anonymous page after an identified one).
 */
export interface PageStep {
  /** The visitor's identity, for templates; null on an anonymous page. */
  identity: Identity | null;
  /** What the response carries: its `scriptTag` is injected and hashed into a hash-only CSP. */
  carried: Identity;
  /** Appended (never replacing the app's cookies) when the response takes the script: HTML of 200 and error pages. */
  setCookie?: string;
}

export interface TokenRouteAnswer {
  status: 200 | 401 | 503;
  body: { email: string; token: string; expiresAt: number } | { error: string };
}

/** What an identified request's response becomes: left as the app made it, made private, or made private and injected. */
export type Verdict = 'untouched' | 'private' | 'inject';

export interface RequestIdentifier<Req, Res> {
  readonly core: Identifier<Req, Res>;
  /** The request's identity, or null; synchronous on a cache hit. Never throws or rejects: a failing user function renders the page anonymous. */
  identify(req: Req, res: Res): MaybePromise<Identity | null>;
  /** As identify(), but ANONYMOUS_PAGE for a page load whose visitor the resolver did not name (rather than null, which is also "no token"). */
  identifyPage(req: Req, res: Res): MaybePromise<Identity | null | typeof ANONYMOUS_PAGE>;
  /**
   * The logout marker's step for an identified page load; undefined when the marker already names
   * this visitor (the usual page, which allocates nothing) or `resetOnLogout` is off.
   */
  markIdentified(req: Req, res: Res, identity: Identity): PageStep | undefined;
  /**
   * The logout marker's step for a response that went out without an identity: the reset, with the
   * marker expired, when it is a page load that carries a marker and its visitor is anonymous (or
   * someone else than the marker names). Undefined otherwise; synchronous unless the visitor
   * resolver is async and the request carries a marker.
   */
  markAnonymous(req: Req, res: Res): MaybePromise<PageStep | undefined>;
  /**
   * Late authentication: for a page load that was anonymous when the middleware ran, the visitor as
   * known now (identified then, within `timeout`) and the logout marker's step. Undefined when
   * there is nothing to carry.
   */
  identifyLate(req: Req, res: Res): MaybePromise<PageStep | undefined>;
  /** The JSON answer of `tokenRoute` for this request. */
  tokenRoute(req: Req, res: Res): Promise<TokenRouteAnswer>;
  /** Whether a response with these headers is rewritten; says once why an encoded HTML body is not. */
  shouldRewrite(contentType: unknown, contentEncoding: unknown, compressionHint: string): boolean;
  /**
   * Applies the rules to an identified request's response, its headers as they are about to go out:
   * HTML of 200 and error pages carries the identity (injected, or printed by a template), so it goes
   * private and, without a nonce, a hash-only CSP gets the script's hash. Any other response is left
   * untouched. Says whether its body is to be injected.
   */
  respond(identity: Identity, status: number, headers: HeaderAccess, compressionHint: string): Verdict;
}

// A visitor resolver that threw: the page renders anonymous, but nothing is known of its visitor (no late retry, no reset).
const VISITOR_FAILED: unique symbol = Symbol('hubspot-identify.visitor-failed');

/** Whether a visitor resolver's answer names no one (the page is anonymous). */
const namesNoOne = (input: VisitorInput) => input === null || input === undefined || input === '' || (input as unknown) === false;

const SEEN = Symbol.for('hubspot-identify.seen');

/**
 * True the first time a request (the framework's request or context object) reaches an instance of
 * the middleware; false after. A second instance on the same request (registered on the app and on a
 * router, or twice) passes it through, so a visitor is not identified, and HubSpot called, twice.
 */
export function firstPass(request: object): boolean {
  const seen = request as { [SEEN]?: true };
  if (seen[SEEN]) return false;
  seen[SEEN] = true;
  return true;
}

/** What every adapter's middleware carries: `forget(email)` drops the visitor's cached token (at logout, or when their email changes). */
export interface Forgets {
  forget(email: string): Promise<void>;
}

/** The middleware with `forget` on it, bound to its own identifier (and so its own cache and store). */
export function withForget<T extends object>(middleware: T, hs: RequestIdentifier<any, any>): T & Forgets {
  return Object.assign(middleware, { forget: (email: string) => hs.core.forget(email) });
}

/**
 * Throws the fix when a middleware factory is handed to the framework uncalled: the framework then
 * calls it with its request (2 or 3 arguments) where the options belong.
 */
export function assertCalledAsFactory(argumentCount: number, usage: string): void {
  if (argumentCount > 1) {
    throw new HubSpotIdentifyError('HSI_INVALID_OPTION', `hubspotIdentify is a factory: register ${usage}, not hubspotIdentify itself.`);
  }
}

export function createRequestIdentifier<Req, Res>(
  options: HubSpotIdentifyOptions<Req, Res> | undefined,
  binding: FrameworkBinding<Req, Res>,
): RequestIdentifier<Req, Res> {
  const core = createIdentifier(options);
  const { visitor, shouldIdentify, nonce } = core.options;
  const visitorOf = visitor ?? ((req: Req) => binding.user(req) as VisitorInput);
  const identifies = shouldIdentify ?? ((req: Req) => acceptsHtml(binding.method(req), binding.accept(req)));
  const nonceOf = nonce ?? binding.nonce;

  function shouldRewrite(contentType: unknown, contentEncoding: unknown, compressionHint: string): boolean {
    return isHtml(contentType) && rewritesHtml(contentEncoding, compressionHint);
  }

  /** shouldRewrite() for a response already known to be HTML. */
  function rewritesHtml(contentEncoding: unknown, compressionHint: string): boolean {
    if (!core.options.inject) return false;
    if (isEncoded(contentEncoding)) {
      core.report(new HubSpotIdentifyError('HSI_ENCODED_BODY',
        `An HTML response was already encoded (${String(contentEncoding)}) when it reached hubspot-identify, so it was not injected. ${compressionHint}`));
      return false;
    }
    return true;
  }

  const failed = (what: string, error: unknown) => {
    core.report(new HubSpotIdentifyError('HSI_FUNCTION_FAILED', `The ${what} function threw (${(error as Error)?.message}); the page renders anonymous.`, { cause: error }));
  };

  function withVisitor(req: Req, res: Res, input: VisitorInput): MaybePromise<Identity | null> {
    let requestNonce: unknown;
    try {
      requestNonce = nonceOf(req, res);
    } catch (error) {
      failed('nonce', error);
      return null;
    }
    return core.identifyNow(input, { request: req, nonce: typeof requestNonce === 'string' ? requestNonce : undefined });
  }

  /** The visitor as the resolver says; VISITOR_FAILED when it throws or rejects (said once). */
  function visitorFor(req: Req): MaybePromise<VisitorInput | typeof VISITOR_FAILED> {
    try {
      const input = visitorOf(req);
      return isPromise(input) ? input.catch((error: unknown) => (failed('visitor', error), VISITOR_FAILED)) : input;
    } catch (error) {
      failed('visitor', error);
      return VISITOR_FAILED;
    }
  }

  function isPageLoad(req: Req): boolean {
    try {
      return identifies(req);
    } catch (error) {
      failed('shouldIdentify', error);
      return false;
    }
  }

  function pageVisitor(req: Req, res: Res, input: VisitorInput | typeof VISITOR_FAILED): MaybePromise<Identity | null | typeof ANONYMOUS_PAGE> {
    if (input === VISITOR_FAILED) return null;
    return namesNoOne(input) ? ANONYMOUS_PAGE : withVisitor(req, res, input);
  }

  function identifyPage(req: Req, res: Res): MaybePromise<Identity | null | typeof ANONYMOUS_PAGE> {
    if (!isPageLoad(req)) return null;
    const input = visitorFor(req);
    return isPromise(input) ? input.then((visitor) => pageVisitor(req, res, visitor)) : pageVisitor(req, res, input);
  }

  // Without a way to read cookies, there is no marker to go by.
  const resetOnLogout = core.options.resetOnLogout && binding.cookie !== undefined;
  const cookieOf = (req: Req) => binding.cookie?.(req);
  const secure = (req: Req) => binding.secure?.(req) === true;

  /** The marker the request carries, when resetOnLogout is on; undefined for most requests after one indexOf. */
  function markerIn(req: Req): string | undefined {
    if (!resetOnLogout) return undefined;
    const cookie = cookieOf(req);
    return mayHoldMarker(cookie) ? readMarker(cookie) : undefined;
  }

  function nonceFor(req: Req, res: Res): string | undefined {
    try {
      const value = nonceOf(req, res);
      return typeof value === 'string' && value !== '' ? value : undefined;
    } catch (error) {
      failed('nonce', error);
      return undefined;
    }
  }

  function markIdentified(req: Req, res: Res, identity: Identity): PageStep | undefined {
    if (!resetOnLogout) return undefined;
    const marker = core.markerOf(identity);
    if (marker === undefined) return undefined;
    const cookie = cookieOf(req);
    if (holdsMarker(cookie, marker)) return undefined;
    const setCookie = setMarkerCookie(marker, secure(req));
    // Someone else's marker: this browser's widget still holds the previous visitor, so reset it first.
    if (readMarker(cookie) === undefined) return { identity, carried: identity, setCookie };
    const carried = { ...identity, scriptTag: scriptTag(identity.settings, nonceFor(req, res), { resetFirst: true }) };
    return { identity: carried, carried, setCookie };
  }

  // Only the reset script matters to the injection paths, which read scriptTag alone; never shown to templates.
  const resetStep = (req: Req, res: Res): PageStep => ({
    identity: null,
    carried: { scriptTag: resetScriptTag(nonceFor(req, res)) } as Identity,
    setCookie: expireMarkerCookie(secure(req)),
  });

  /** The reset step unless the visitor resolved now is the one the marker names (a logged-in visitor who got no token in time). */
  function resetUnlessMarked(req: Req, res: Res, input: VisitorInput | typeof VISITOR_FAILED, marker: string): MaybePromise<PageStep | undefined> {
    if (input === VISITOR_FAILED) return undefined;
    const check = checkVisitor(input);
    if (!check.ok || !check.visitor) return resetStep(req, res);
    const email = check.visitor.email;
    let accessToken: MaybePromise<string | null | undefined>;
    try {
      accessToken = core.options.accessToken(req);
    } catch {
      return undefined;
    }
    const decide = (token: string | null | undefined) =>
      typeof token === 'string' && token !== '' && markerValue(token, email) === marker ? undefined : resetStep(req, res);
    // Bounded by `timeout` as every wait of a page is; an access token that comes too late (or not at all) resets nothing.
    return isPromise(accessToken) ? within(accessToken, core.options.timeout).then((token) => (token === LATE ? undefined : decide(token)), () => undefined) : decide(accessToken);
  }

  function markAnonymous(req: Req, res: Res): MaybePromise<PageStep | undefined> {
    const marker = markerIn(req);
    if (marker === undefined || !isPageLoad(req)) return undefined;
    const input = visitorFor(req);
    return isPromise(input) ? input.then((visitor) => resetUnlessMarked(req, res, visitor, marker)) : resetUnlessMarked(req, res, input, marker);
  }

  function lateStep(req: Req, res: Res, identity: Identity | null): MaybePromise<PageStep | undefined> {
    if (identity) return markIdentified(req, res, identity) ?? { identity, carried: identity };
    return markAnonymous(req, res);
  }

  function identifyLate(req: Req, res: Res): MaybePromise<PageStep | undefined> {
    const input = visitorFor(req);
    const withInput = (visitor: VisitorInput | typeof VISITOR_FAILED): MaybePromise<PageStep | undefined> => {
      if (visitor === VISITOR_FAILED) return undefined;
      if (namesNoOne(visitor)) return markerIn(req) === undefined ? undefined : resetStep(req, res);
      const identity = withVisitor(req, res, visitor);
      return isPromise(identity) ? identity.then((late) => lateStep(req, res, late)) : lateStep(req, res, identity);
    };
    return isPromise(input) ? input.then(withInput) : withInput(input);
  }

  return {
    core,

    identify(req, res) {
      const found = identifyPage(req, res);
      if (found === ANONYMOUS_PAGE) return null;
      return isPromise(found) ? found.then((value) => (value === ANONYMOUS_PAGE ? null : value)) : found;
    },

    identifyPage,
    markIdentified,
    markAnonymous,
    identifyLate,

    async tokenRoute(req, res) {
      const resolved = await visitorFor(req);
      const input = resolved === VISITOR_FAILED ? null : resolved;
      const identity = await withVisitor(req, res, input);
      if (identity) return { status: 200, body: { email: identity.email, token: identity.token, expiresAt: identity.expiresAt } };
      // Anonymous exactly when a page would be: the resolver named no one (null, '', false, { email: null }, {}).
      const check = checkVisitor(input);
      return check.ok && check.visitor === null
        ? { status: 401, body: { error: 'The visitor is not logged in.' } }
        : { status: 503, body: { error: 'No identification token could be had; try again later.' } };
    },

    shouldRewrite,

    respond(identity, status, headers, compressionHint) {
      if (!statusTakesScript(status) || !isHtml(headers.get('Content-Type'))) return 'untouched';
      makePrivate(headers);
      if (headers.get('Content-Security-Policy') || headers.get('Content-Security-Policy-Report-Only')) {
        const scriptText = nonceFreeScriptText(identity.scriptTag);
        if (scriptText !== undefined) allowScriptByHash(headers, scriptText);
      }
      return rewritesHtml(headers.get('Content-Encoding'), compressionHint) ? 'inject' : 'private';
    },
  };
}
