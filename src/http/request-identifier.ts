// What every adapter shares: from a request to an identity, the token route, and which responses to rewrite.
import { HubSpotIdentifyError } from '../errors.js';
import { createIdentifier, type Identifier, type Identity } from '../identifier.js';
import type { HubSpotIdentifyOptions, VisitorInput } from '../options.js';
import { acceptsHtml, isEncoded, isHtml } from './page-load.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { allowScriptByHash, makePrivate, nonceFreeScriptText, statusTakesScript, type HeaderAccess } from './response-policy.js';

/** How an adapter reads its framework's request. */
export interface FrameworkBinding<Req, Res> {
  /** The framework's usual logged-in user (the default `visitor`). */
  user(req: Req): unknown;
  method(req: Req): string;
  accept(req: Req): string | undefined;
  /** The framework's conventional CSP nonce (the default `nonce`). */
  nonce(req: Req, res: Res): unknown;
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
    if (!core.options.inject || !isHtml(contentType)) return false;
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

  /** The visitor as the resolver says; null when it throws or rejects (said once). */
  function visitorFor(req: Req): MaybePromise<VisitorInput> {
    try {
      const input = visitorOf(req);
      return isPromise(input) ? input.catch((error: unknown) => (failed('visitor', error), null)) : input;
    } catch (error) {
      failed('visitor', error);
      return null;
    }
  }

  return {
    core,

    identify(req, res) {
      try {
        if (!identifies(req)) return null;
      } catch (error) {
        failed('shouldIdentify', error);
        return null;
      }
      const input = visitorFor(req);
      return isPromise(input) ? input.then((visitor) => withVisitor(req, res, visitor)) : withVisitor(req, res, input);
    },

    async tokenRoute(req, res) {
      const input = await visitorFor(req);
      const identity = await withVisitor(req, res, input);
      if (identity) return { status: 200, body: { email: identity.email, token: identity.token, expiresAt: identity.expiresAt } };
      const anonymous = input === null || input === undefined || input === '';
      return anonymous
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
      return shouldRewrite(headers.get('Content-Type'), headers.get('Content-Encoding'), compressionHint) ? 'inject' : 'private';
    },
  };
}
