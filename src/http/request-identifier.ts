// What every adapter shares: from a request to an identity, the token route, and which responses to rewrite.
import { injectBody, type Body } from './body-rewrite.js';
import { HubSpotIdentifyError } from '../errors.js';
import { createIdentifier, type Identifier, type Identity } from '../identifier.js';
import type { HubSpotIdentifyOptions, VisitorInput } from '../options.js';
import { acceptsHtml, isEncoded, isHtml } from './page-load.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

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

export interface RequestIdentifier<Req, Res> {
  readonly core: Identifier<Req, Res>;
  /** The request's identity, or null; synchronous on a cache hit. Never throws or rejects: a failing user function renders the page anonymous. */
  identify(req: Req, res: Res): MaybePromise<Identity | null>;
  /** The JSON answer of `tokenRoute` for this request. */
  tokenRoute(req: Req, res: Res): Promise<TokenRouteAnswer>;
  /**
   * For adapters that hold the whole body (Koa, Fastify): the body with the script injected when the
   * headers say HTML, and whether its length is now unknown (a stream); undefined to leave it as is.
   */
  rewriteBody(identity: Identity, body: Body, contentType: unknown, contentEncoding: unknown, compressionHint: string): { body: Body; streamed: boolean } | undefined;
  /** Whether a response with these headers is rewritten; says once why an encoded HTML body is not. */
  shouldRewrite(contentType: unknown, contentEncoding: unknown, compressionHint: string): boolean;
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
    core.report(new HubSpotIdentifyError('HSI_INVALID_VISITOR', `The ${what} function threw (${(error as Error)?.message}); the page renders anonymous.`, { cause: error }));
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

    rewriteBody(identity, body, contentType, contentEncoding, compressionHint) {
      if (body === undefined || body === null || !shouldRewrite(contentType, contentEncoding, compressionHint)) return undefined;
      const rewritten = injectBody(core, body, identity);
      return rewritten.body === body ? undefined : rewritten;
    },
  };
}
