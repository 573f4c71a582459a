// The framework-agnostic core: createIdentifier() ties options, visitor checks, the token source and the script together.
import type { Transform } from 'node:stream';
import { HubSpotIdentifyError } from './errors.js';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes, type InjectOutcome } from './html/inject.js';
import { StreamingInjector } from './html/inject-stream.js';
import { createInjectingStream } from './node/inject-stream.js';
import { mintToken } from './tokens/hubspot-api.js';
import { resolveOptions, TOKEN_LIFETIME, type HubSpotIdentifyOptions, type ResolvedOptions, type Visitor, type VisitorInput } from './options.js';
import { isPromise, LATE, within, type MaybePromise } from './maybe-promise.js';
import { createReporter, type Report } from './report.js';
import { scriptBody, scriptTag, wrapScript, type WidgetSettings } from './html/script.js';
import type { StoredToken } from './tokens/store.js';
import { TokenSource } from './tokens/token-source.js';
import { accountOf, checkVisitor } from './tokens/visitor.js';
import { markerValue } from './http/logout-marker.js';

/** An identified visitor, as templates see it (`hsIdentity`). */
export interface Identity {
  email: string;
  token: string;
  /** When the token expires, in ms since the epoch: 12 hours after HubSpot made it. */
  expiresAt: number;
  /** The object given to the widget as `window.hsConversationsSettings`. */
  settings: WidgetSettings;
  /** The whole `<script>` element, with the request's CSP nonce where there is one. */
  scriptTag: string;
}

export interface IdentifyContext<Req = unknown> {
  /** Passed to an `accessToken` function. */
  request?: Req;
  /** CSP nonce for `scriptTag`. */
  nonce?: string | null;
}

export interface Identifier<Req = unknown, Res = unknown> {
  /** The visitor's identity, or null when anonymous, invalid, or HubSpot gives no token within `timeout`. Never rejects. */
  identify(visitor: VisitorInput, context?: IdentifyContext<Req> | null): Promise<Identity | null>;
  /** Drops the visitor's cached token (and anything remembered about them), e.g. when their email changes or they delete their account. Never rejects. */
  forget(email: string, context?: Pick<IdentifyContext<Req>, 'request'> | null): Promise<void>;
  /** `html` with the identity's script injected once; unchanged for a null identity. */
  inject(html: string, identity: Identity | null | undefined, options?: { nonce?: string | null } | null): string;
  /** The same for a whole body held as bytes. */
  injectBytes(body: Buffer, identity: Identity | null | undefined, options?: { nonce?: string | null } | null): Buffer;
  /** A Transform injecting the identity's script into streamed HTML. */
  injectStream(identity: Identity, options?: { nonce?: string | null } | null): Transform;
  /** The options as resolved at creation. */
  readonly options: ResolvedOptions<Req, Res>;
  /** @internal identify(), synchronous when the token is in memory. Never rejects. */
  identifyNow(visitor: VisitorInput, context?: IdentifyContext<Req> | null): MaybePromise<Identity | null>;
  /** @internal Reports a failure to onError and the logger. */
  readonly report: Report;
  /**
   * @internal inject() for a page an adapter sends as UTF-8: the bytes, encoded once. Cheaper than
   * encoding inject()'s string, which first copies the whole page to flatten it.
   */
  injectEncoded(html: string, identity: Identity): Buffer;
  /** @internal The chunk-by-chunk injector behind injectStream, for adapters that write chunks themselves. */
  createInjector(identity: Identity): StreamingInjector;
  /** @internal The logout marker's value for the visitor of an identity this identifier made. */
  markerOf(identity: Identity): string | undefined;
  /** @internal Says once when a page had nowhere to inject. */
  noteOutcome(outcome: InjectOutcome | undefined): void;
}

/** accountOf, remembered per access token so that pages do not hash it each time. */
function accountHasher(): (accessToken: string) => string {
  const known = new Map<string, string>();
  return (accessToken) => {
    let hash = known.get(accessToken);
    if (hash === undefined) {
      hash = accountOf(accessToken);
      if (known.size >= 1000) known.clear();
      known.set(accessToken, hash);
    }
    return hash;
  };
}

export function createIdentifier<Req = unknown, Res = unknown>(options?: HubSpotIdentifyOptions<Req, Res>): Identifier<Req, Res> {
  const resolved = resolveOptions(options);
  const report = createReporter(resolved.onError, resolved.logger);
  const accountFor = accountHasher();
  const source = new TokenSource({
    store: resolved.store,
    mint: (accessToken, visitor) => mintToken({
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
  });

  // Cache hits build nothing: the identity (frozen, shared) and its script body hang off the cached
  // entry object itself, which the in-memory store hands back on every hit. A WeakMap needs no key
  // string per lookup (the token is ~500 chars) and lets the memo go with the entry it was built for.
  const identities = new WeakMap<StoredToken, { identity: Identity; body: string; marker: string }>();
  // The logout marker of each identity handed out, worked out once with it (it needs the access token).
  const markers = new WeakMap<Identity, string>();
  const identityOf = (email: string, entry: StoredToken, accessToken: string) => {
    let built = identities.get(entry);
    // The same entry serves every spelling of an email that keys alike (ADA@x.io, ada@x.io); a custom
    // store may hand back one object it has since changed.
    if (built === undefined || built.identity.email !== email || built.identity.token !== entry.token || built.identity.expiresAt !== entry.createdAt + TOKEN_LIFETIME) {
      const { token, createdAt } = entry;
      const expiresAt = createdAt + TOKEN_LIFETIME;
      const settings: WidgetSettings = Object.freeze({ ...resolved.widget, identificationEmail: email, identificationToken: token, loadImmediately: resolved.loadImmediately });
      const body = scriptBody(settings);
      built = { identity: Object.freeze({ email, token, expiresAt, settings, scriptTag: wrapScript(body) }), body, marker: markerValue(accessToken, email) };
      markers.set(built.identity, built.marker);
      identities.set(entry, built);
    }
    return built;
  };

  const tagFor = (identity: Identity, nonce: string | null | undefined) =>
    nonce === undefined ? identity.scriptTag : scriptTag(identity.settings, nonce);

  const noteOutcome = (outcome: InjectOutcome | undefined) => {
    if (outcome === 'no-insertion-point') {
      report(new HubSpotIdentifyError('HSI_NO_INSERTION_POINT',
        'An HTML page had no HubSpot loader tag, </head> or </body>, so no identification was injected. Print hsIdentity.scriptTag in the template instead.'));
    }
  };

  const finish = (email: string, entry: StoredToken | null, accessToken: string, nonce: string | null | undefined): Identity | null => {
    if (entry === null) return null;
    const base = identityOf(email, entry, accessToken);
    if (!nonce) return base.identity;
    const identity = { ...base.identity, scriptTag: wrapScript(base.body, nonce) };
    if (resolved.resetOnLogout) markers.set(identity, base.marker);
    return identity;
  };

  const withAccessToken = (visitor: Visitor, accessToken: unknown, nonce: string | null | undefined, waitMs?: number): MaybePromise<Identity | null> => {
    if (typeof accessToken !== 'string' || accessToken === '') return null;
    const entry = source.get(accountFor(accessToken), accessToken, visitor, waitMs);
    return isPromise(entry) ? entry.then((late) => finish(visitor.email, late, accessToken, nonce)) : finish(visitor.email, entry, accessToken, nonce);
  };

  const accessTokenFailed = (error: unknown): null => {
    report(new HubSpotIdentifyError('HSI_FUNCTION_FAILED',
      `The accessToken function threw or rejected (${(error as Error)?.message}); the page renders anonymous. Make it return the account's token, or null for none.`, { cause: error }));
    return null;
  };

  // Synchronous whenever everything is at hand (the usual cache hit), so a page pays no extra tick.
  const identifyNow = (input: VisitorInput, given?: IdentifyContext<Req> | null): MaybePromise<Identity | null> => {
    const context = given ?? {};
    const check = checkVisitor(input);
    if (!check.ok) {
      report(new HubSpotIdentifyError('HSI_INVALID_VISITOR', `Not sent to HubSpot: ${check.reason}. The page renders anonymous.`));
      return null;
    }
    const visitor = check.visitor;
    if (!visitor) return null;
    let accessToken: MaybePromise<string | null | undefined>;
    try {
      accessToken = resolved.accessToken(context.request);
    } catch (error) {
      return accessTokenFailed(error);
    }
    if (isPromise(accessToken)) return accessTokenInTime(accessToken, visitor, context.nonce);
    return withAccessToken(visitor, accessToken, context.nonce);
  };

  /**
   * An async accessToken function (a secrets lookup) counts against the page's `timeout` too: one
   * that answers late renders the page anonymous; the token then waits only for what is left.
   */
  const accessTokenInTime = (pending: Promise<string | null | undefined>, visitor: Visitor, nonce: string | null | undefined): Promise<Identity | null> => {
    const started = performance.now();
    return within(pending, resolved.timeout).then((value) => {
      if (value === LATE) {
        report(new HubSpotIdentifyError('HSI_TIMEOUT', `The accessToken function did not answer within timeout (${resolved.timeout} ms), so the page rendered anonymous.`));
        return null;
      }
      return withAccessToken(visitor, value, nonce, Math.max(0, resolved.timeout - (performance.now() - started)));
    }, accessTokenFailed);
  };

  return {
    options: resolved,
    report,
    noteOutcome,

    async identify(input, context) {
      return identifyNow(input, context);
    },

    identifyNow,

    async forget(email, given) {
      const context = given ?? {};
      const check = checkVisitor(email);
      if (!check.ok || !check.visitor) return;
      try {
        const accessToken = await resolved.accessToken(context.request);
        if (typeof accessToken === 'string' && accessToken !== '') await source.forget(accountFor(accessToken), check.visitor.email);
      } catch (error) {
        accessTokenFailed(error);
      }
    },

    inject(html, identity, given) {
      const injectOptions = given ?? {};
      if (!identity || typeof html !== 'string') return html;
      const result = injectIntoHtml(html, tagFor(identity, injectOptions.nonce));
      noteOutcome(result.outcome);
      return result.html;
    },

    injectBytes(body, identity, given) {
      const injectOptions = given ?? {};
      if (!identity) return body;
      const result = injectIntoBytes(body, tagFor(identity, injectOptions.nonce));
      noteOutcome(result.outcome);
      return Buffer.isBuffer(result.body) ? result.body : Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
    },

    injectEncoded(html, identity) {
      const result = injectIntoHtmlAsBytes(html, identity.scriptTag);
      noteOutcome(result.outcome);
      return Buffer.isBuffer(result.body) ? result.body : Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
    },

    injectStream(identity, given) {
      const injectOptions = given ?? {};
      return createInjectingStream(tagFor(identity, injectOptions.nonce), noteOutcome);
    },

    markerOf(identity) {
      return markers.get(identity);
    },

    createInjector(identity) {
      return new StreamingInjector(identity.scriptTag);
    },
  };
}
