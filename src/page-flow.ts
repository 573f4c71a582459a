// The one door between the adapters and the core: a request's flow from the middleware to its response, driven by each framework's facts.
//
// Every adapter does the same three things and nothing else: it hands the flow its framework's facts
// once (createPageFlow), starts a Visit when a request arrives, and asks the Visit what to do as the
// response goes out (respond), then rewrites the body the way its framework holds it. The order of
// steps, late identification, the logout marker, the token route and the header rules live here.
//
// Nothing waits that will not be identified: a page load's identification starts when the request
// arrives and the app runs meanwhile; only a response that takes the script (HTML of 200 or an
// error status) waits for it, when it is sent, within `timeout`. With `inject: false` the template
// prints the script itself, so the app waits for the identity before it renders.
import { HubSpotIdentifyError } from './errors.js';
import { createCore, type Core, type Identity } from './identifier.js';
import type { InjectOutcome, Tag } from './html/inject.js';
import { StreamingInjector } from './html/inject-stream.js';
import { isPromise, type MaybePromise } from './maybe-promise.js';
import type { HubSpotIdentifyOptions } from './options.js';
import { acceptsHtml, isEncoded, isHtml } from './http/page-load.js';
export { forwardedHttps } from './http/page-load.js';
import { makePrivate, statusTakesScript, type HeaderAccess } from './http/response-policy.js';
import { allowScriptByHash, nonceFreeScriptText } from './http/csp.js';
import {
  anonymousMarkerStep,
  carriesMarker,
  identifiedMarkerStep,
  mayHoldMarker,
  readMarkers,
  resetMarkerCookie,
  setMarkerCookie,
} from './http/logout-marker.js';
import { TOKEN_ROUTE_HEADERS, tokenRouteRefusal } from './http/token-route.js';
import { checkVisitor, type Visitor, type VisitorInput } from './tokens/visitor.js';

export type { HeaderAccess } from './http/response-policy.js';
export type { Identity } from './identifier.js';
export { dropConditionals as dropValidators } from './http/cache-headers.js';
export { rewriteResponse, tokenRouteResponse, withoutValidators } from './http/web-response.js';
export { keepPrivateOnWriteHead, nodeHeaders as responseHeaders, setHeaders, takeHeaders, filterLaterHeaders } from './http/write-head.js';
export { makePrivate } from './http/response-policy.js';
export { HubSpotIdentifyError, isHubSpotIdentifyError, type HubSpotIdentifyErrorCode } from './errors.js';
export { isPromise, type MaybePromise } from './maybe-promise.js';
export type { HubSpotIdentifyOptions } from './options.js';
export type { StreamingInjector } from './html/inject-stream.js';

/** What a flow needs to know of its framework's request and response. */
export interface FrameworkFacts<Req, Res> {
  /** The framework's logged-in user: the default `visitor`. */
  user(req: Req): unknown;
  method(req: Req): string;
  /** The request's path without its query, for `tokenRoute`. */
  path(req: Req): string;
  /** A request header by its lower-case name. */
  header(req: Req, name: string): string | undefined;
  /** The host (and port) the request was made to, as the app knows it: its own origin's authority. */
  host(req: Req): string | undefined;
  /** The framework's conventional CSP nonce: the default `nonce`. */
  nonce(req: Req, res: Res): unknown;
  /** Whether the site is https as the app knows it (the marker cookie is then `__Host-` and Secure). */
  secure(req: Req): boolean;
  /** Whether the request is known at a glance to be plain http (no TLS, no proxy header), sparing secure(). Default: never known. */
  plainHttp?(req: Req): boolean;
  /** Shows templates the identity (or null): at the start of every request, and again when a page is identified late. */
  show(req: Req, res: Res, identity: Identity | null): void;
  /** Whether the app asked for the identity it was shown (fetch's identityOf). Default: a template may always have read it. */
  asked?(req: Req): boolean;
}

/** What a response becomes: left as the app made it, made private (the identity is on it, printed by a template), or made private and injected. */
export type Verdict = 'untouched' | 'private' | 'inject';

/** A `tokenRoute` answer, for the adapter to write as it is. */
export interface TokenRouteAnswer {
  status: 200 | 401 | 403 | 503;
  headers: Record<string, string>;
  /** The logout marker's Set-Cookie, appended to the app's own (a route that identified a visitor sets it as a page does). */
  setCookie?: string;
  body: string;
}

/** A header store that can also append (Set-Cookie). */
export interface ResponseHeaders extends HeaderAccess {
  append(name: string, value: string): void;
}

// A visitor resolver that threw: the page renders anonymous, but nothing is known of its visitor (no late retry, no reset).
const FAILED: unique symbol = Symbol('hubspot-identify.visitor-failed');
type Resolved = VisitorInput | typeof FAILED;

// Shared by every copy of the package in the process (an ESM and a CJS one): a WeakSet, as a property
// added to the framework's request (whose prototype Express swaps) cost more than the rest of a hit.
const SEEN: WeakSet<object> = ((globalThis as { [key: symbol]: WeakSet<object> })[Symbol.for('hubspot-identify.seen')] ??= new WeakSet());
const ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json; charset=utf-8',
  ...TOKEN_ROUTE_HEADERS,
});

/**
 * True the first time a request (the framework's request or context object) reaches an instance of
 * the middleware; false after. A second instance on the same request (registered on the app and on a
 * router, or twice) passes it through, so a visitor is not identified, and HubSpot called, twice.
 */
function firstPass(request: object): boolean {
  if (SEEN.has(request)) return false;
  SEEN.add(request);
  return true;
}

/**
 * What the response of a page load carries: the visitor's identity, or the logout reset alone; the
 * script element to inject, and the marker's Set-Cookie when the page takes it.
 */
interface Carried {
  identity: Identity | null;
  /** The script element, as a string or as its parts. */
  tag: Tag;
  setCookie?: string;
}

export class PageFlow<Req, Res> {
  readonly core: Core<Req, Res>;
  readonly facts: FrameworkFacts<Req, Res>;
  /** What to do when a body reached us already encoded, in the framework's words. */
  readonly compressionHint: string;
  readonly #visitorOf: (req: Req) => MaybePromise<VisitorInput>;
  readonly #identifies: (req: Req) => boolean;
  readonly #nonceOf: (req: Req, res: Res) => unknown;
  readonly #tokenRoute: string | false;
  // Without a way to read cookies, there is no marker to go by.
  readonly #resetOnLogout: boolean;

  constructor(options: HubSpotIdentifyOptions<Req, Res> | undefined, facts: FrameworkFacts<Req, Res>, compressionHint: string) {
    this.core = createCore(options);
    this.facts = facts;
    this.compressionHint = compressionHint;
    const { visitor, shouldIdentify, nonce, tokenRoute, resetOnLogout, inject } = this.core.options;
    this.#visitorOf = visitor ?? ((req) => facts.user(req) as VisitorInput);
    this.#identifies = shouldIdentify ?? ((req) => acceptsHtml(facts.method(req), facts.header(req, 'accept')));
    this.#nonceOf = nonce ?? facts.nonce;
    this.#tokenRoute = tokenRoute;
    this.#resetOnLogout = resetOnLogout && inject;
  }

  /** Drops a visitor's cached token (`middleware.forget(email)`). */
  forget(email: string): Promise<void> {
    return this.core.identifier.forget(email);
  }

  /** Whether the request is a GET or HEAD of `tokenRoute`. */
  isTokenRoute(req: Req): boolean {
    if (this.#tokenRoute === false) return false;
    const method = this.facts.method(req);
    return (method === 'GET' || method === 'HEAD') && this.facts.path(req) === this.#tokenRoute;
  }

  /**
   * Starts a request the middleware sees first: templates see null, or the identity when it is at
   * hand. Returns the page load's Visit, or undefined for any other request (and for a request an
   * instance of the middleware already saw), which goes on untouched.
   */
  visit(req: Req, res: Res): Visit<Req, Res> | undefined {
    try {
      if (!firstPass(req as object)) return undefined;
      this.facts.show(req, res, null);
      if (!this.#pageLoad(req)) return undefined;
      // A nonce function that throws leaves no way to run the script under the page's policy: the page goes anonymous.
      const nonce = this.#nonce(req, res);
      if (nonce === FAILED) return undefined;
      const input = this.#resolve(req);
      return input === FAILED ? undefined : new Visit(this, req, res, input, nonce);
    } catch (error) {
      this.internalError(error);
      return undefined;
    }
  }

  /** Says once that something failed inside the package: the request goes on as the app makes it. */
  internalError(error: unknown): void {
    this.core.report(
      new HubSpotIdentifyError(
        'HSI_INTERNAL_ERROR',
        `hubspot-identify failed inside (${(error as Error)?.message ?? String(error)}); the response went out as the app made it. Please report it.`,
        { cause: error },
      ),
    );
  }

  /** The `tokenRoute` answer: the visitor's token as JSON, for same-origin requests only; never rejects. */
  async tokenRoute(req: Req): Promise<TokenRouteAnswer> {
    try {
      return await this.#answerTokenRoute(req);
    } catch (error) {
      this.internalError(error);
      return {
        status: 503,
        headers: ANSWER_HEADERS,
        body: JSON.stringify({ error: 'No identification token could be had; try again later.' }),
      };
    }
  }

  async #answerTokenRoute(req: Req): Promise<TokenRouteAnswer> {
    const answer = (status: TokenRouteAnswer['status'], body: object, setCookie?: string): TokenRouteAnswer => ({
      status,
      headers: ANSWER_HEADERS,
      body: JSON.stringify(body),
      ...(setCookie ? { setCookie } : {}),
    });
    const refusal = tokenRouteRefusal((name) => this.facts.header(req, name), { host: this.facts.host(req), secure: this.secure(req) });
    if (refusal !== undefined) return answer(403, { error: `Only same-origin requests may read the visitor's token: ${refusal}.` });
    const input = await this.#resolve(req);
    // A resolver that failed (its session store down) is not "logged out": identifyWidget would reset the chat.
    if (input === FAILED) return answer(503, { error: 'The visitor could not be resolved; try again later.' });
    const visitor = this.checked(input);
    if (visitor === null) return answer(401, { error: 'The visitor is not logged in.' });
    const identity = visitor === undefined ? null : await this.core.identifyNow(visitor, req, undefined);
    if (!identity) return answer(503, { error: 'No identification token could be had; try again later.' });
    const marker = this.#resetOnLogout ? this.core.markerOf(identity) : undefined;
    const cookie = this.facts.header(req, 'cookie');
    const secure = this.secure(req);
    const setCookie =
      marker !== undefined && identifiedMarkerStep(cookie, secure, marker) !== 'keep' ? setMarkerCookie(marker, secure) : undefined;
    return answer(200, { email: identity.email, token: identity.token, expiresAt: identity.expiresAt }, setCookie);
  }

  /** Says, once per kind, a failure of one of the app's functions: the page renders anonymous. */
  failed(what: 'visitor' | 'shouldIdentify' | 'nonce', error: unknown): void {
    // The app's own function, or our default for it (which reads the framework's request) failing inside.
    if (this.core.options[what] === undefined) return this.internalError(error);
    this.core.report(
      new HubSpotIdentifyError(
        'HSI_FUNCTION_FAILED',
        `The ${what} function threw (${(error as Error)?.message}); the page renders anonymous.`,
        { cause: error },
      ),
    );
  }

  /** The checked visitor; null for no one, undefined for an answer not sent to HubSpot (said once). */
  checked(input: VisitorInput): Visitor | null | undefined {
    const check = checkVisitor(input);
    if (check.ok) return check.visitor;
    this.core.report(new HubSpotIdentifyError('HSI_INVALID_VISITOR', `Not sent to HubSpot: ${check.reason}. The page renders anonymous.`));
    return undefined;
  }

  /** The request's CSP nonce, when there is one; FAILED when the nonce function threw (said once). */
  #nonce(req: Req, res: Res): string | undefined | typeof FAILED {
    try {
      const nonce = this.#nonceOf(req, res);
      return typeof nonce === 'string' && nonce !== '' ? nonce : undefined;
    } catch (error) {
      this.failed('nonce', error);
      return FAILED;
    }
  }

  /** Whether the logout marker is on: `resetOnLogout` with `inject` (the reset is a script the page must take). */
  get resetOnLogout(): boolean {
    return this.#resetOnLogout;
  }

  /** Whether the site is https for this request, asking the framework only when the request may be (its own notion costs). */
  secure(req: Req): boolean {
    return this.facts.plainHttp?.(req) === true ? false : this.facts.secure(req);
  }

  /** The logout marker's part of a page load: whether it is on for this request, and the request's facts for it. */
  markerContext(req: Req): { cookie: string | undefined; secure: boolean } | undefined {
    if (!this.#resetOnLogout) return undefined;
    return { cookie: this.facts.header(req, 'cookie'), secure: this.secure(req) };
  }

  /** The visitor as the resolver says; FAILED when it throws or rejects (said once). */
  resolve(req: Req): MaybePromise<Resolved> {
    return this.#resolve(req);
  }

  #resolve(req: Req): MaybePromise<Resolved> {
    try {
      const input = this.#visitorOf(req);
      return isPromise(input) ? input.then(undefined, (error: unknown) => (this.failed('visitor', error), FAILED)) : input;
    } catch (error) {
      this.failed('visitor', error);
      return FAILED;
    }
  }

  #pageLoad(req: Req): boolean {
    try {
      return this.#identifies(req);
    } catch (error) {
      this.failed('shouldIdentify', error);
      return false;
    }
  }
}

const joinTag = (tag: Tag): string => (typeof tag === 'string' ? tag : tag.join(''));

/** Whether a resolver's answer names no one (null, undefined, '', false). */
const namesNoOne = (input: VisitorInput) => input === null || input === undefined || input === '' || input === false;

/**
 * One page load, from the middleware to its response. `identity` is what templates see now; the
 * adapter calls respond() as the response's headers are about to go out, then injects the body when
 * it says so, and deliver()s the marker once the page shows it takes the script.
 */
export class Visit<Req, Res> {
  /** What templates see: the identity, or null. */
  identity: Identity | null = null;
  /**
   * Drop the request's validators (If-None-Match, If-Modified-Since): a visitor is named, or the resolver
   * has not answered yet, so the page may be theirs and must not be answered 304 from an anonymous copy.
   */
  readonly dropsValidators: boolean;
  /** With `inject: false`: settles once the identity templates need is known. */
  readonly ready: Promise<void> | undefined;
  /** What the response carries, once respond() decided; its `tag` is what to inject. */
  carried: Carried | undefined;
  verdict: Verdict | undefined;
  readonly #flow: PageFlow<Req, Res>;
  readonly #req: Req;
  readonly #res: Res;
  readonly #nonce: string | undefined;
  /** The visitor named when the request arrived; undefined when no one was (or still pending). */
  #visitor: Visitor | null | undefined;
  /** Whether a page that went anonymous may look for its visitor again when sent (late authentication). */
  #late = false;
  /** The identification under way (a cold token, an async resolver), settling to what the page carries. */
  #pending: Promise<Identity | null> | undefined;
  #deciding: Promise<Verdict> | undefined;
  /** Whether templates were shown the identity before the response was decided, so one may have printed it. */
  #shownEarly = false;

  constructor(flow: PageFlow<Req, Res>, req: Req, res: Res, input: MaybePromise<Resolved>, nonce: string | undefined) {
    this.#flow = flow;
    this.#req = req;
    this.#res = res;
    this.#nonce = nonce;
    if (isPromise(input)) {
      // A cold start: the app renders meanwhile; the page waits for it when it is sent.
      this.#pending = input.then((value) => this.#start(value));
      this.dropsValidators = true;
    } else {
      const found = this.#start(input);
      if (isPromise(found)) this.#pending = found;
      else this.#show(found);
      this.dropsValidators = this.#visitor !== undefined && this.#visitor !== null;
    }
    if (this.#pending) {
      // Settled here too, so that a page that never asks (a redirect) leaves no rejection behind; never rejects anyway.
      this.#pending = this.#pending.then(
        (identity) => {
          // Settled: from now on respond() decides in the same tick.
          this.#pending = undefined;
          this.#show(identity);
          return identity;
        },
        () => ((this.#pending = undefined), null),
      );
      this.ready = flow.core.options.inject ? undefined : this.#pending.then(() => undefined);
    }
  }

  /** Starts identifying the visitor the resolver named; `mayLookAgain` once, when the request arrives. */
  #start(input: Resolved, mayLookAgain = true): MaybePromise<Identity | null> {
    if (input === FAILED) return null;
    if (namesNoOne(input)) {
      // `false` says "no one, and no one later": the resolver is not asked again when the page is sent.
      this.#late = mayLookAgain && input !== false;
      this.#visitor = null;
      return null;
    }
    const visitor = this.#flow.checked(input);
    if (!visitor) return null;
    this.#visitor = visitor;
    return this.#flow.core.identifyNow(visitor, this.#req, this.#nonce);
  }

  /** Shows templates an identity, with the reset first when the browser's widget last held someone else. */
  #show(identity: Identity | null): void {
    if (!identity) return;
    const marker = this.#flow.resetOnLogout ? this.#flow.core.markerOf(identity) : undefined;
    let setCookie: string | undefined;
    let shown = identity;
    if (marker !== undefined) {
      const cookie = this.#flow.facts.header(this.#req, 'cookie');
      // The usual page of an https site holds its visitor's __Host- marker, which only https can set:
      // nothing to do, and no need to work out the scheme.
      if (cookie === undefined || identifiedMarkerStep(cookie, true, marker) !== 'keep') {
        const secure = this.#flow.secure(this.#req);
        const step = identifiedMarkerStep(cookie, secure, marker);
        if (step !== 'keep') setCookie = setMarkerCookie(marker, secure);
        if (step === 'reset-then-set') shown = this.#flow.core.withReset(identity);
      }
    }
    this.identity = shown;
    this.carried = { identity: shown, tag: this.#flow.core.tagOf(shown), setCookie };
    this.#shownEarly ||= this.verdict === undefined && this.#deciding === undefined;
    this.#flow.facts.show(this.#req, this.#res, shown);
  }

  /**
   * The rules for the response as its headers go out. A response that will not carry the script (not
   * HTML, a redirect, 204/206/304) is left untouched at once. An HTML page waits, within `timeout`, for
   * an identification under way, or looks for a visitor named since the middleware ran; then, carrying
   * an identity (or the logout reset), it goes private, a hash-only CSP gets the script's hash, and the
   * verdict says whether to inject its body. Decided once: later calls get the same verdict.
   */
  respond(status: number, headers: HeaderAccess): MaybePromise<Verdict> {
    if (this.verdict !== undefined) return this.verdict;
    if (this.#deciding) return this.#deciding;
    try {
      if (!statusTakesScript(status) || !isHtml(headers.get('Content-Type'))) return (this.verdict = 'untouched');
      const carried = this.#settle();
      if (!isPromise(carried)) return this.#apply(carried, headers);
      return (this.#deciding = carried.then(
        (found) => this.#decide(found, headers),
        (error: unknown) => this.#failed(error),
      ));
    } catch (error) {
      return this.#failed(error);
    }
  }

  #decide(carried: Carried | undefined, headers: HeaderAccess): Verdict {
    try {
      return this.#apply(carried, headers);
    } catch (error) {
      return this.#failed(error);
    }
  }

  /** Anything that fails inside leaves the response as the app made it (said once). */
  #failed(error: unknown): Verdict {
    this.#flow.internalError(error);
    return (this.verdict = 'untouched');
  }

  /** What the page carries, once what was under way settles or a late visitor is found. */
  #settle(): MaybePromise<Carried | undefined> {
    if (this.#pending) return this.#pending.then(() => this.#afterIdentify());
    return this.#afterIdentify();
  }

  #afterIdentify(): MaybePromise<Carried | undefined> {
    if (this.carried) return this.carried;
    if (this.#late) return this.#identifyLate();
    return this.#resetUnlessOwn();
  }

  /** Late authentication: a page anonymous when the middleware ran asks for its visitor once more as it is sent. */
  #identifyLate(): MaybePromise<Carried | undefined> {
    this.#late = false;
    const input = this.#flow.resolve(this.#req);
    const found = isPromise(input) ? input.then((value) => this.#start(value, false)) : this.#start(input, false);
    const then = (identity: Identity | null) => {
      this.#show(identity);
      return this.#afterIdentify();
    };
    return isPromise(found) ? found.then(then) : then(found);
  }

  /**
   * A page load that goes out without an identity resets the widget when the browser's marker says it
   * last held someone: unless the visitor named now is that someone (a logged-in visitor who got no
   * token in time keeps their chat).
   */
  #resetUnlessOwn(): MaybePromise<Carried | undefined> {
    const context = this.#flow.markerContext(this.#req);
    if (!context || !mayHoldMarker(context.cookie)) return undefined;
    const state = readMarkers(context.cookie, context.secure);
    if (state.uncovered.length === 0) return undefined;
    const decide = (own: string | undefined): Carried | undefined =>
      anonymousMarkerStep(state, own) === 'reset'
        ? { identity: null, tag: this.#flow.core.resetTag(this.#nonce), setCookie: resetMarkerCookie(state, context.secure) }
        : undefined;
    if (!this.#visitor) return decide(undefined);
    const own = this.#flow.core.markerFor(this.#visitor.email, this.#req);
    return isPromise(own) ? own.then(decide, () => undefined) : decide(own);
  }

  #apply(carried: Carried | undefined, headers: HeaderAccess): Verdict {
    this.carried = carried;
    if (!carried) return (this.verdict = 'untouched');
    const { core, compressionHint } = this.#flow;
    // With inject off the template printed the script itself; an encoded body cannot take it, and
    // carries the identity only if the app could have printed it there.
    let verdict: Verdict = core.options.inject ? 'inject' : 'private';
    const encoding = headers.get('Content-Encoding');
    if (verdict === 'inject' && isEncoded(encoding)) {
      core.report(
        new HubSpotIdentifyError(
          'HSI_ENCODED_BODY',
          `An HTML response was already encoded (${String(encoding)}) when it reached hubspot-identify, so it was not injected. ${compressionHint}`,
        ),
      );
      if (!carried.identity || !this.#printable()) return (this.verdict = 'untouched');
      verdict = 'private';
    }
    makePrivate(headers);
    if (headers.get('Content-Security-Policy') || headers.get('Content-Security-Policy-Report-Only')) {
      const scriptText = nonceFreeScriptText(joinTag(carried.tag));
      if (scriptText !== undefined) allowScriptByHash(headers, scriptText);
    }
    return (this.verdict = verdict);
  }

  /** Whether the app may have printed the identity itself: it was shown before the response went out, and asked for where that is known. */
  #printable(): boolean {
    return this.#shownEarly && (this.#flow.facts.asked?.(this.#req) ?? true);
  }

  /** The script element to inject (after respond() said 'inject'). */
  get tag(): string {
    return joinTag(this.carried!.tag);
  }

  /** The same, as the parts a whole body is injected with (no string built for it). */
  get tagParts(): Tag {
    return this.carried!.tag;
  }

  /** The chunk-by-chunk injector of the script, for a body written in pieces. */
  injector(): StreamingInjector {
    return new StreamingInjector(this.tag);
  }

  /** Whether the resolver named a visitor (known so far): their page is meant to carry the script. */
  get named(): boolean {
    return this.#visitor !== undefined && this.#visitor !== null;
  }

  /** Whether the page carries the logout marker's Set-Cookie (the rare page: a first login, a logout, a change of visitor). */
  get marks(): boolean {
    return this.carried?.setCookie !== undefined;
  }

  /** Appends the logout marker's Set-Cookie, once, to a response whose page takes the script. */
  deliver(headers: ResponseHeaders): void {
    const setCookie = this.carried?.setCookie;
    if (setCookie === undefined || carriesMarker(headers.get('Set-Cookie'))) return;
    headers.append('Set-Cookie', setCookie);
  }

  /**
   * Says once when the page had nowhere to inject, or when a `<meta>` policy of its own blocks the
   * script; whether the page takes the script (injected, or printed by its template).
   */
  noteOutcome(outcome: InjectOutcome | undefined, metaPolicies?: readonly string[]): boolean {
    if (metaPolicies) this.#flow.core.noteOutcome(outcome, { metaPolicies, tag: this.tag });
    else this.#flow.core.noteOutcome(outcome);
    return outcome === 'injected' || outcome === 'present';
  }
}

/** A flow for an adapter: its framework's facts, and how to fix an already-encoded body in its words. */
export function createPageFlow<Req, Res>(
  options: HubSpotIdentifyOptions<Req, Res> | undefined,
  facts: FrameworkFacts<Req, Res>,
  compressionHint: string,
): PageFlow<Req, Res> {
  return new PageFlow(options, facts, compressionHint);
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

/** What every adapter's middleware carries: `forget(email)` drops the visitor's cached token (at logout, or when their email changes). */
export interface Forgets {
  forget(email: string): Promise<void>;
}

/** The middleware with `forget` on it, bound to its own flow (and so its own cache and store). */
export function withForget<T extends object>(middleware: T, flow: PageFlow<any, any>): T & Forgets {
  return Object.assign(middleware, { forget: (email: string) => flow.forget(email) });
}
