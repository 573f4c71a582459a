// hubspot-identify/hono: the Hono middleware, on the same web Response rewrite as hubspot-identify/fetch.
import type { Context, MiddlewareHandler } from 'hono';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';
import { rewriteResponse, tokenRouteResponse, withoutConditionals } from '../../src/http/web-response.js';
import { watchForLateAuthentication } from '../../src/http/late-authentication.js';

export * from '../../src/index.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The identified visitor, for templates: `c.var.hsIdentity?.scriptTag`; null when not identified. */
    hsIdentity: Identity | null;
  }
}

/** Options for the Hono middleware: every function option receives the context `c`. */
export type HonoOptions = HubSpotIdentifyOptions<Context, Context>;

const COMPRESSION_HINT = 'Register compress() before hubspotIdentify() (app.use(compress()) first), so that the script is injected before the body is compressed.';

// Variables other middleware set (a session's user, secure-headers' nonce), which the app's own types may not name.
const variable = (c: Context, name: string): unknown => (c.var as Record<string, unknown>)[name];

const honoBinding: FrameworkBinding<Context, Context> = {
  user: (c) => variable(c, 'user'),
  method: (c) => c.req.method,
  accept: (c) => c.req.header('Accept'),
  nonce: (c) => variable(c, 'secureHeadersNonce'),
};

/** Hono middleware: identifies the visitor, exposes `c.var.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: HonoOptions): MiddlewareHandler {
  const late = watchForLateAuthentication(options, honoBinding);
  const hs = createRequestIdentifier(late.options, late.binding);
  const { tokenRoute } = hs.core.options;

  /** A page load anonymous at first whose visitor route middleware set meanwhile: identified now, within `timeout`. */
  const lookAgain = async (c: Context): Promise<Identity | null> => {
    const identity = await hs.identify(c, c);
    c.set('hsIdentity', identity);
    return identity;
  };

  return async function hubspotIdentifyMiddleware(c, next) {
    if (tokenRoute !== false && c.req.path === tokenRoute && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      return tokenRouteResponse(await hs.tokenRoute(c, c));
    }
    const found = hs.identify(c, c);
    const identity = isPromise(found) ? await found : found;
    c.set('hsIdentity', identity);
    if (identity) c.req.raw = withoutConditionals(c.req.raw);
    await next();
    const sent = identity ?? (late.wasAnonymous(c) ? await lookAgain(c) : null);
    if (!sent) return;
    const rewritten = rewriteResponse(hs, sent, c.res, COMPRESSION_HINT);
    if (rewritten === c.res) return;
    // Setting c.res over an existing one copies the old headers onto the new (Content-Length, ETag,
    // Cache-Control): clear it first so the rewritten headers stand.
    c.res = undefined;
    c.res = rewritten;
  };
}

export default hubspotIdentify;
