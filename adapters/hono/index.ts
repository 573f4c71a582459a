// hubspot-identify/hono: the Hono middleware, on the same web Response rewrite as hubspot-identify/fetch.
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { ANONYMOUS_PAGE, assertCalledAsFactory, createRequestIdentifier, firstPass, withForget, type Forgets, type FrameworkBinding, type PageStep } from '../../src/http/request-identifier.js';
import { pageResponse, tokenRouteResponse, withoutConditionals } from '../../src/http/web-response.js';
import { keepPrivateOnWriteHead } from '../../src/http/write-head.js';

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
  cookie: (c) => c.req.header('Cookie'),
  secure: (c) => c.req.url.startsWith('https:'),
};

/**
 * Notes the page a handler answers with c.html(string): its text is then injected as it is, not
 * read back out of the Response (which @hono/node-server would first re-encode into a stream).
 */
function seeHtml(c: Context): { response?: Response; text?: string } {
  const page: { response?: Response; text?: string } = {};
  const html = c.html;
  c.html = ((body: unknown, ...rest: unknown[]) => {
    const response = (html as (...args: unknown[]) => unknown)(body, ...rest);
    if (typeof body === 'string' && response instanceof Response) {
      page.response = response;
      page.text = body;
    }
    return response;
  }) as typeof c.html;
  return page;
}

/** Hono middleware: identifies the visitor, exposes `c.var.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: HonoOptions): MiddlewareHandler & Forgets {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const hs = createRequestIdentifier(options, honoBinding);
  const { tokenRoute } = hs.core.options;

  /**
   * A page that went out without an identity: one whose visitor route middleware named meanwhile is
   * identified now (within `timeout`); one that arrives with the logout marker resets the widget.
   */
  const afterAnonymous = (c: Context, anonymousPage: boolean) => () => {
    if (!anonymousPage) return hs.markAnonymous(c, c);
    const found = hs.identifyLate(c, c);
    const show = (step: PageStep | undefined) => {
      if (step?.identity) c.set('hsIdentity', step.identity);
      return step;
    };
    return isPromise(found) ? found.then(show) : show(found);
  };

  return withForget<MiddlewareHandler>(async function hubspotIdentifyMiddleware(c, next) {
    if (tokenRoute !== false && c.req.path === tokenRoute && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
      return tokenRouteResponse(await hs.tokenRoute(c, c));
    }
    if (!firstPass(c)) return next();
    const found = hs.identifyPage(c, c);
    const first = isPromise(found) ? await found : found;
    const identity = first === ANONYMOUS_PAGE ? null : first;
    const step = identity ? hs.markIdentified(c, c, identity) : undefined;
    c.set('hsIdentity', step ? step.identity : identity);
    if (identity) c.req.raw = withoutConditionals(c.req.raw);
    const page = identity || first === ANONYMOUS_PAGE ? seeHtml(c) : undefined;
    await next();
    // The text of a page the app answered with c.html(string), when that answer is what goes out.
    const text = page && page.response === c.res ? page.text : undefined;
    const response = pageResponse(hs, identity, step, c.res, COMPRESSION_HINT, afterAnonymous(c, first === ANONYMOUS_PAGE), text);
    const rewritten = isPromise(response) ? await response : response;
    if (rewritten === c.res) return;
    // On Node (@hono/node-server keeps the ServerResponse in c.env.outgoing), a validator that outer
    // middleware adds after ours (hono/etag registered first) is dropped as the headers go out.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (typeof outgoing?.writeHead === 'function' && typeof outgoing.removeHeader === 'function') keepPrivateOnWriteHead(outgoing);
    // Setting c.res over an existing one copies the old headers onto the new (Content-Length, ETag,
    // Cache-Control): clear it first so the rewritten headers stand.
    c.res = undefined;
    c.res = rewritten;
  }, hs);
}

export default hubspotIdentify;
