// hubspot-identify/fetch: any web-standard (Request) => Response handler: Bun, Deno, Next.js route handlers, workers.
import {
  createPageFlow,
  forwardedHttps,
  HubSpotIdentifyError,
  rewriteResponse,
  tokenRouteResponse,
  withForget,
  withoutValidators,
  type Forgets,
  type FrameworkFacts,
  type HubSpotIdentifyOptions,
  type Identity,
  type PageFlow,
} from '../../src/page-flow.js';

export {
  HubSpotIdentifyError,
  isHubSpotIdentifyError,
  type HubSpotIdentifyErrorCode,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

/** Options for the fetch adapter: every function option receives the `Request`. `visitor` is required. */
export type FetchOptions = HubSpotIdentifyOptions<Request, Request> & {
  visitor: NonNullable<HubSpotIdentifyOptions<Request, Request>['visitor']>;
};

/** A fetch-style handler; the rest (Cloudflare's env and ctx, Next.js's context) is passed through. */
export type FetchHandler<Rest extends unknown[] = unknown[]> = (request: Request, ...rest: Rest) => Response | Promise<Response>;

const COMPRESSION_HINT = 'Compress outside the wrapped handler (or let the server or CDN compress), so that the script is injected first.';

// Every request a wrapped handler has seen, with what templates see and whether the handler asked:
// shared by the copy a handler gets without validators.
const identities = new WeakMap<Request, { identity: Identity | null; asked?: true }>();

const facts: FrameworkFacts<Request, Request> = {
  user: () => undefined,
  method: (request) => request.method,
  path: (request) => new URL(request.url).pathname,
  header: (request, name) => request.headers.get(name) ?? undefined,
  host: (request) => new URL(request.url).host,
  nonce: () => undefined,
  secure: (request) => request.url.startsWith('https:') || forwardedHttps((name) => request.headers.get(name) ?? undefined),
  show: (request, _request, identity) => {
    const seen = identities.get(request);
    if (seen) seen.identity = identity;
    else identities.set(request, { identity });
  },
  asked: (request) => identities.get(request)?.asked === true,
};

/**
 * The visitor's identity inside a wrapped handler, for a template that prints `scriptTag` itself
 * (nothing is then injected twice); null when anonymous or for a request the wrapper has not seen.
 */
export function identityOf(request: Request): Identity | null {
  const seen = identities.get(request);
  if (!seen) return null;
  seen.asked = true;
  return seen.identity;
}

function fetchFlow(options: FetchOptions | undefined, creator: string): PageFlow<Request, Request> {
  // No framework keeps a logged-in user on a Request, so there is no default to fall back on.
  if (typeof options?.visitor !== 'function') {
    throw new HubSpotIdentifyError(
      'HSI_INVALID_OPTION',
      `${creator} needs a visitor option: a function of the Request returning the logged-in visitor's email (or { email, firstName, lastName }, or null), e.g. ${creator}(${creator === 'withHubSpotIdentify' ? 'handler, ' : ''}{ visitor: async (request) => (await getSession(request))?.user?.email }).`,
    );
  }
  return createPageFlow(options, facts, COMPRESSION_HINT);
}

/**
 * Wraps a fetch handler: identifies page loads, makes `identityOf(request)` available inside it,
 * and injects the script into the HTML it answers. HubSpot failures never reach the response.
 */
export function withHubSpotIdentify<Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
  options: FetchOptions,
): ((request: Request, ...rest: Rest) => Promise<Response>) & Forgets {
  if (typeof handler !== 'function') {
    throw new HubSpotIdentifyError(
      'HSI_INVALID_OPTION',
      `withHubSpotIdentify(handler, options) takes the app's fetch handler first, got ${typeof handler}: pass app.fetch or your (request) => Response function.`,
    );
  }
  const flow = fetchFlow(options, 'withHubSpotIdentify');

  return withForget(async function hubspotIdentified(request: Request, ...rest: Rest): Promise<Response> {
    if (flow.isTokenRoute(request)) return tokenRouteResponse(await flow.tokenRoute(request), request.method);
    // Wrapped twice (or the copy an outer wrapper handed on): one identification per request.
    if (identities.has(request)) return handler(request, ...rest);
    const visit = flow.visit(request, request);
    if (!visit) return handler(request, ...rest);
    if (visit.ready) await visit.ready;
    // The handler of an identified page load sees no validator, so it cannot answer 304 with someone else's page.
    const seen = visit.dropsValidators ? withoutValidators(request) : request;
    if (seen !== request) identities.set(seen, identities.get(request)!);
    return rewriteResponse(visit, await handler(seen, ...rest));
  }, flow);
}

/**
 * A route handler answering `{ email, token, expiresAt }` for the logged-in visitor (401 anonymous,
 * 503 no token in time, 403 cross-origin; `no-store`): `export const GET = tokenRouteHandler({ visitor })` in Next.js.
 */
export function tokenRouteHandler(options: FetchOptions): (request: Request) => Promise<Response> {
  const flow = fetchFlow(options, 'tokenRouteHandler');
  return async (request) => tokenRouteResponse(await flow.tokenRoute(request), request.method);
}

export default withHubSpotIdentify;
