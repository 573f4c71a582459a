// hubspot-identify/fetch: any web-standard (Request) => Response handler: Bun, Deno, Next.js route handlers, workers.
import { HubSpotIdentifyError } from '../../src/errors.js';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { createRequestIdentifier, withForget, type FrameworkBinding, type Forgets, type RequestIdentifier } from '../../src/http/request-identifier.js';
import { pageResponse, tokenRouteResponse, withoutConditionals } from '../../src/http/web-response.js';

export * from '../../src/index.js';

/** Options for the fetch adapter: every function option receives the `Request`. `visitor` is required. */
export type FetchOptions = HubSpotIdentifyOptions<Request, Request> & { visitor: NonNullable<HubSpotIdentifyOptions<Request, Request>['visitor']> };

/** A fetch-style handler; the rest (Cloudflare's env and ctx, Next.js's context) is passed through. */
export type FetchHandler<Rest extends unknown[] = unknown[]> = (request: Request, ...rest: Rest) => Response | Promise<Response>;

const fetchBinding: FrameworkBinding<Request, Request> = {
  user: () => undefined,
  method: (request) => request.method,
  accept: (request) => request.headers.get('Accept') ?? undefined,
  nonce: () => undefined,
  cookie: (request) => request.headers.get('Cookie') ?? undefined,
  secure: (request) => request.url.startsWith('https:'),
};

const COMPRESSION_HINT = 'Compress outside the wrapped handler (or let the server or CDN compress), so that the script is injected first.';

// Every request a wrapped handler has seen, with its identity or null.
const identities = new WeakMap<Request, Identity | null>();

/**
 * The visitor's identity inside a wrapped handler, for a template that prints `scriptTag` itself
 * (nothing is then injected twice); null when anonymous or for a request the wrapper has not seen.
 */
export function identityOf(request: Request): Identity | null {
  return identities.get(request) ?? null;
}

function fetchIdentifier(options: FetchOptions | undefined, creator: string): RequestIdentifier<Request, Request> {
  // No framework keeps a logged-in user on a Request, so there is no default to fall back on.
  if (typeof options?.visitor !== 'function') {
    throw new HubSpotIdentifyError('HSI_INVALID_OPTION',
      `${creator} needs a visitor option: a function of the Request returning the logged-in visitor's email (or { email, firstName, lastName }, or null), e.g. ${creator}(${creator === 'withHubSpotIdentify' ? 'handler, ' : ''}{ visitor: async (request) => (await getSession(request))?.user?.email }).`);
  }
  return createRequestIdentifier(options, fetchBinding);
}

const answersTokenRoute = (request: Request, tokenRoute: string | false) =>
  tokenRoute !== false && (request.method === 'GET' || request.method === 'HEAD') && new URL(request.url).pathname === tokenRoute;

/**
 * Wraps a fetch handler: identifies page loads, makes `identityOf(request)` available inside it,
 * and injects the script into the HTML it answers. HubSpot failures never reach the response.
 */
export function withHubSpotIdentify<Rest extends unknown[]>(handler: FetchHandler<Rest>, options: FetchOptions): ((request: Request, ...rest: Rest) => Promise<Response>) & Forgets {
  if (typeof handler !== 'function') {
    throw new HubSpotIdentifyError('HSI_INVALID_OPTION', `withHubSpotIdentify(handler, options) takes the app's fetch handler first, got ${typeof handler}: pass app.fetch or your (request) => Response function.`);
  }
  const hs = fetchIdentifier(options, 'withHubSpotIdentify');
  const { tokenRoute } = hs.core.options;

  return withForget(async function hubspotIdentified(request: Request, ...rest: Rest): Promise<Response> {
    if (answersTokenRoute(request, tokenRoute)) return tokenRouteResponse(await hs.tokenRoute(request, request));
    // Wrapped twice (or a request an outer wrapper already identified): one identification per request.
    if (identities.has(request)) return handler(request, ...rest);
    const found = hs.identify(request, request);
    const identity = isPromise(found) ? await found : found;
    const step = identity ? hs.markIdentified(request, request, identity) : undefined;
    const shown = step ? step.identity : identity;
    identities.set(request, shown);
    // The handler of an identified page load sees no validator, so it cannot answer 304 with someone else's page.
    const seen = identity ? withoutConditionals(request) : request;
    if (seen !== request) identities.set(seen, shown);
    const response = await handler(seen, ...rest);
    return pageResponse(hs, identity, step, response, COMPRESSION_HINT, () => hs.markAnonymous(request, request));
  }, hs);
}

/**
 * A route handler answering `{ email, token, expiresAt }` for the logged-in visitor (401 anonymous,
 * 503 no token in time; `no-store`): `export const GET = tokenRouteHandler({ visitor })` in Next.js.
 */
export function tokenRouteHandler(options: FetchOptions): (request: Request) => Promise<Response> {
  const hs = fetchIdentifier(options, 'tokenRouteHandler');
  return async (request) => tokenRouteResponse(await hs.tokenRoute(request, request));
}

export default withHubSpotIdentify;
