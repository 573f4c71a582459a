// The framework-agnostic core: createIdentifier() turns a visitor into an identity, a cached HubSpot token and its script.
import { HubSpotIdentifyError } from './errors.js';
import { injectIntoBytes, injectIntoHtml, type InjectOutcome, type Tag } from './html/inject.js';
import { StreamingInjector } from './html/inject-stream.js';
import {
  resetScriptTag,
  scriptBody,
  scriptBodyOf,
  scriptTagParts,
  serializeForScript,
  wrapScript,
  type WidgetSettings,
} from './html/script.js';
import { metaPolicyBlocksScript, scriptHashSource } from './http/csp.js';
import { isPromise, LATE, within, type MaybePromise } from './maybe-promise.js';
import { resolveOptions, TOKEN_LIFETIME, type HubSpotIdentifyOptions, type ResolvedOptions } from './options.js';
import { createReporter, type Report } from './report.js';
import { mintToken } from './tokens/hubspot-api.js';
import type { StoredToken } from './tokens/store.js';
import { TokenSource } from './tokens/token-source.js';
import { accountOf, checkVisitor, markerValue, type Visitor, type VisitorInput } from './tokens/visitor.js';

/** An identified visitor, as templates see it (`hsIdentity`). */
export interface Identity {
  readonly email: string;
  readonly token: string;
  /** When the token expires, in ms since the epoch: 12 hours after HubSpot made it. */
  readonly expiresAt: number;
  /** The object given to the widget as `window.hsConversationsSettings`. */
  readonly settings: WidgetSettings;
  /** The whole `<script>` element, with the request's CSP nonce where there is one. */
  readonly scriptTag: string;
}

export interface IdentifyContext<Req = unknown> {
  /** Passed to an `accessToken` function. */
  request?: Req;
  /** CSP nonce for `scriptTag`. */
  nonce?: string | null;
}

export interface InjectOptions {
  /** CSP nonce for the injected script, instead of the identity's own. */
  nonce?: string | null;
}

/** What `createIdentifier()` gives: identities for visitors, and the script put into pages. */
export interface Identifier<Req = unknown> {
  /** The visitor's identity, or null when anonymous, invalid, or HubSpot gives no token within `timeout`. Never rejects. */
  identify(visitor: VisitorInput, context?: IdentifyContext<Req> | null): Promise<Identity | null>;
  /** Drops the visitor's cached token (and anything remembered about them), e.g. when their email changes or they delete their account. Never rejects. */
  forget(email: string, context?: Pick<IdentifyContext<Req>, 'request'> | null): Promise<void>;
  /** `html` with the identity's script injected once; unchanged for a null identity. */
  inject(html: string, identity: Identity | null | undefined, options?: InjectOptions | null): string;
  /** The same for a whole body held as bytes (any ASCII-compatible charset). */
  injectBytes(body: Uint8Array, identity: Identity | null | undefined, options?: InjectOptions | null): Uint8Array;
  /** A web TransformStream injecting the identity's script into streamed HTML bytes. */
  injectStream(identity: Identity, options?: InjectOptions | null): TransformStream<Uint8Array, Uint8Array>;
}

/** What the page flow builds on besides the public methods. Not part of the published surface. */
export interface Core<Req = unknown, Res = unknown> {
  readonly identifier: Identifier<Req>;
  readonly options: ResolvedOptions<Req, Res>;
  readonly report: Report;
  /** An already checked visitor's identity, synchronous when everything is at hand (a cache hit). Never rejects. */
  identifyNow(visitor: Visitor, request: Req | undefined, nonce: string | undefined): MaybePromise<Identity | null>;
  /**
   * The logout marker's value for a visitor of the request's account; undefined when there is no
   * account (no access token in time). Synchronous unless the access token function is async.
   */
  markerFor(email: string, request: Req | undefined): MaybePromise<string | undefined>;
  /** The marker's value for an identity this core made. */
  markerOf(identity: Identity): string | undefined;
  /** The identity whose script resets the widget first: the browser's widget last held someone else. */
  withReset(identity: Identity): Identity;
  /** The identity's script element as the parts a page injects: for a cached visitor, kept, not built per page. */
  tagOf(identity: Identity): Tag;
  /** The logout script element, for the first anonymous page after an identified one. */
  resetTag(nonce: string | undefined): string;
  /** Says once when a page had nowhere to inject. */
  noteOutcome(outcome: InjectOutcome | undefined, injected?: Injected): void;
}

/** What was injected where, for the `<meta>` policy check: the policies found before it, the element, and its nonce. */
export interface Injected {
  metaPolicies?: readonly string[] | undefined;
  tag: string;
  nonce?: string | null | undefined;
}

/** What an identity carries besides its public fields: kept per cached entry, not per request. */
interface Built {
  identity: Identity;
  marker: string;
  /** The settings as the script carries them (ASCII-safe JSON): the element is built from it when read, not kept whole. */
  json: string;
  /** The element without a nonce, as its parts (shared text around `json`). */
  parts: Tag;
}

const BUILT = Symbol('hubspot-identify.built');
interface Variant {
  nonce: string | undefined;
  resetFirst: boolean;
}
type Internal = Identity & { readonly [BUILT]: Built; readonly [VARIANT]?: Variant };
const VARIANT = Symbol('hubspot-identify.variant');

// scriptTag is built when read, not kept: a cached visitor holds its settings, not a whole script element each.
function readScriptTag(this: Internal): string {
  const variant = this[VARIANT];
  const { json } = this[BUILT];
  return variant === undefined ? wrapScript(scriptBodyOf(json, false)) : wrapScript(scriptBodyOf(json, variant.resetFirst), variant.nonce);
}

/** An identity object: its public fields enumerable (JSON, spreading and templates see them all), scriptTag built when read. */
function makeIdentity(fields: Omit<Identity, 'scriptTag'>, built: Built, variant?: Variant): Identity {
  const identity = { email: fields.email, token: fields.token, expiresAt: fields.expiresAt, settings: fields.settings } as Internal;
  Object.defineProperty(identity, 'scriptTag', { get: readScriptTag, enumerable: true });
  Object.defineProperty(identity, BUILT, { value: built });
  if (variant !== undefined) Object.defineProperty(identity, VARIANT, { value: variant });
  return Object.freeze(identity);
}

const builtOf = (identity: Identity): Built | undefined => (identity as Partial<Internal>)[BUILT];

/** Whether one of a page's own `<meta>` policies blocks the injected element (its nonce, else its hash, judged). */
function metaPoliciesBlock({ metaPolicies, tag }: Injected): boolean {
  const open = tag.indexOf('>');
  const nonce = /\snonce="([^"]*)"/.exec(tag.slice(0, open))?.[1];
  const script = { nonce, hash: scriptHashSource(tag.slice(open + 1, tag.lastIndexOf('</'))) };
  return metaPolicies!.some((policy) => metaPolicyBlocksScript(policy, script));
}

/** The core behind every adapter and createIdentifier(). */
export function createCore<Req = unknown, Res = unknown>(options?: HubSpotIdentifyOptions<Req, Res>): Core<Req, Res> {
  const resolved = resolveOptions(options);
  const report = createReporter(resolved.onError, resolved.logger);
  const source = new TokenSource({
    store: resolved.store,
    mint: (accessToken, visitor) =>
      mintToken({
        fetch: resolved.fetch,
        url: resolved.tokenUrl,
        accessToken,
        visitor,
        timeoutMs: resolved.requestTimeout,
        defaultRateLimitWaitMs: resolved.rateLimitPause,
        dailyRateLimitWaitMs: resolved.dailyLimitPause,
      }),
    now: resolved.now,
    maxAge: resolved.cache.maxAge,
    refreshAfter: resolved.cache.refreshAfter,
    max: resolved.cache.max,
    timeout: resolved.timeout,
    refusedPause: resolved.refusedPause,
    callLimit: resolved.requestTimeout,
    report,
    warn: createReporter(undefined, resolved.logger),
  });

  // Cache hits build nothing: the identity (frozen, shared) hangs off the cached entry object itself,
  // which the in-memory store hands back on every hit, and goes with it.
  const built = new WeakMap<StoredToken, Built>();
  const buildFor = (email: string, entry: StoredToken, accessToken: string): Built => {
    const known = built.get(entry);
    // The same entry serves every spelling of an email that keys alike (ADA@x.io, ada@x.io); a custom
    // store may hand back one object it has since changed.
    if (
      known !== undefined &&
      known.identity.email === email &&
      known.identity.token === entry.token &&
      known.identity.expiresAt === entry.createdAt + TOKEN_LIFETIME
    )
      return known;
    const settings: WidgetSettings = Object.freeze({
      ...resolved.widget,
      identificationEmail: email,
      identificationToken: entry.token,
      loadImmediately: resolved.loadImmediately,
    });
    const json = serializeForScript(settings);
    const made: Built = {
      identity: undefined as unknown as Identity,
      marker: markerValue(accessToken, email),
      json,
      parts: scriptTagParts(json),
    };
    made.identity = makeIdentity({ email, token: entry.token, expiresAt: entry.createdAt + TOKEN_LIFETIME, settings }, made);
    built.set(entry, made);
    return made;
  };

  const finish = (email: string, entry: StoredToken | null, accessToken: string, nonce: string | undefined): Identity | null => {
    if (entry === null) return null;
    const base = buildFor(email, entry, accessToken);
    return nonce === undefined ? base.identity : makeIdentity(base.identity, base, { nonce, resetFirst: false });
  };

  const withAccessToken = (
    visitor: Visitor,
    accessToken: unknown,
    nonce: string | undefined,
    waitMs?: number,
  ): MaybePromise<Identity | null> => {
    if (typeof accessToken !== 'string' || accessToken === '') return null;
    const entry = source.get(accountOf(accessToken), accessToken, visitor, waitMs);
    return isPromise(entry)
      ? entry.then((late) => finish(visitor.email, late, accessToken, nonce))
      : finish(visitor.email, entry, accessToken, nonce);
  };

  const accessTokenFailed = (error: unknown): null => {
    report(
      new HubSpotIdentifyError(
        'HSI_FUNCTION_FAILED',
        `The accessToken function threw or rejected (${(error as Error)?.message}); the page renders anonymous. Make it return the account's token, or null for none.`,
        { cause: error },
      ),
    );
    return null;
  };

  /** The access token for a request: a value, or a promise bounded by `timeout` (LATE past it, said once). */
  const accessTokenOf = (request: Req | undefined): MaybePromise<string | null | undefined | typeof LATE> => {
    let accessToken: MaybePromise<string | null | undefined>;
    try {
      accessToken = resolved.accessToken(request);
    } catch (error) {
      return accessTokenFailed(error);
    }
    if (!isPromise(accessToken)) return accessToken;
    // An async accessToken function (a secrets lookup) counts against the page's `timeout` too.
    return within(accessToken, resolved.timeout).then((value) => {
      if (value === LATE) {
        report(
          new HubSpotIdentifyError(
            'HSI_TIMEOUT',
            `The accessToken function did not answer within timeout (${resolved.timeout} ms), so the page rendered anonymous.`,
          ),
        );
      }
      return value;
    }, accessTokenFailed);
  };

  // Synchronous whenever everything is at hand (the usual cache hit), so a page pays no extra tick.
  const identifyNow = (visitor: Visitor, request: Req | undefined, nonce: string | undefined): MaybePromise<Identity | null> => {
    const accessToken = accessTokenOf(request);
    if (!isPromise(accessToken)) return withAccessToken(visitor, accessToken, nonce);
    const started = performance.now();
    // The token then waits only for what is left of `timeout`.
    return accessToken.then((value) =>
      value === LATE ? null : withAccessToken(visitor, value, nonce, Math.max(0, resolved.timeout - (performance.now() - started))),
    );
  };

  const checked = (input: VisitorInput): Visitor | null => {
    const check = checkVisitor(input);
    if (check.ok) return check.visitor;
    report(new HubSpotIdentifyError('HSI_INVALID_VISITOR', `Not sent to HubSpot: ${check.reason}. The page renders anonymous.`));
    return null;
  };

  const noteOutcome = (outcome: InjectOutcome | undefined, injected?: Injected) => {
    if (outcome === 'no-insertion-point') {
      report(
        new HubSpotIdentifyError(
          'HSI_NO_INSERTION_POINT',
          'An HTML page had no HubSpot loader tag, </head> or </body>, so no identification was injected. Print hsIdentity.scriptTag in the template instead.',
        ),
      );
    }
    if (outcome === 'injected' && injected?.metaPolicies && metaPoliciesBlock(injected)) {
      report(
        new HubSpotIdentifyError(
          'HSI_CSP_BLOCKS_SCRIPT',
          "A page's own <meta http-equiv=\"Content-Security-Policy\"> blocks the injected script, so the widget stays anonymous there. Give the middleware the page's nonce (the nonce option), or send the policy as a header, where the script's hash is added.",
        ),
      );
    }
  };

  const tagOf = (identity: Identity, options: InjectOptions | null | undefined): string => {
    const nonce = options?.nonce;
    return nonce === undefined ? identity.scriptTag : wrapScript(scriptBody(identity.settings), nonce);
  };

  const identifier: Identifier<Req> = {
    async identify(input, context) {
      const visitor = checked(input);
      if (!visitor) return null;
      const nonce = context?.nonce;
      return identifyNow(visitor, context?.request, typeof nonce === 'string' && nonce !== '' ? nonce : undefined);
    },

    async forget(email, context) {
      const check = checkVisitor(email);
      if (!check.ok || !check.visitor) return;
      const accessToken = await accessTokenOf(context?.request);
      if (typeof accessToken === 'string' && accessToken !== '') await source.forget(accountOf(accessToken), check.visitor.email);
    },

    inject(html, identity, options) {
      if (!identity || typeof html !== 'string') return html;
      const tag = tagOf(identity, options);
      const result = injectIntoHtml(html, tag);
      noteOutcome(result.outcome, { metaPolicies: result.metaPolicies, tag });
      return result.html;
    },

    injectBytes(body, identity, options) {
      if (!identity) return body;
      const tag = tagOf(identity, options);
      const result = injectIntoBytes(body, tag);
      noteOutcome(result.outcome, { metaPolicies: result.metaPolicies, tag });
      return result.body;
    },

    injectStream(identity, options) {
      const tag = tagOf(identity, options);
      const injector = new StreamingInjector(tag);
      return new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          for (const piece of injector.push(chunk)) controller.enqueue(piece);
        },
        flush(controller) {
          for (const piece of injector.end()) controller.enqueue(piece);
          noteOutcome(injector.outcome, { metaPolicies: injector.metaPolicies, tag });
        },
      });
    },
  };

  return {
    identifier,
    options: resolved,
    report,
    identifyNow,
    noteOutcome,

    markerFor(email, request) {
      const accessToken = accessTokenOf(request);
      const valueFor = (token: unknown) => (typeof token === 'string' && token !== '' ? markerValue(token, email) : undefined);
      return isPromise(accessToken) ? accessToken.then(valueFor) : valueFor(accessToken);
    },

    markerOf(identity) {
      return builtOf(identity)?.marker;
    },

    tagOf(identity) {
      const internal = identity as Partial<Internal>;
      const built = internal[BUILT];
      if (!built) return identity.scriptTag;
      const variant = internal[VARIANT];
      return variant === undefined ? built.parts : scriptTagParts(built.json, variant.nonce, variant.resetFirst);
    },

    withReset(identity) {
      const internal = identity as Internal;
      return makeIdentity(identity, internal[BUILT], { nonce: internal[VARIANT]?.nonce, resetFirst: true });
    },

    resetTag(nonce) {
      return resetScriptTag(nonce);
    },
  };
}

/** The framework-agnostic core: `const hs = createIdentifier(options)`, then `identify`, `inject`, `forget`. */
export function createIdentifier<Req = unknown>(options?: HubSpotIdentifyOptions<Req, unknown>): Identifier<Req> {
  return createCore<Req, unknown>(options).identifier;
}
