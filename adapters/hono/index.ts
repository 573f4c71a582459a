// hubspot-identify/hono: the Hono middleware, translating Hono's context to the page flow's web Response rules.
import type { Context, MiddlewareHandler } from 'hono';
import {
  assertCalledAsFactory,
  createPageFlow,
  forwardedHttps,
  isPromise,
  keepPrivateOnWriteHead,
  rewriteResponse,
  tokenRouteResponse,
  withForget,
  withoutValidators,
  type Forgets,
  type FrameworkFacts,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

export {
  HubSpotIdentifyError,
  isHubSpotIdentifyError,
  type HubSpotIdentifyErrorCode,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The identified visitor, for templates: `c.var.hsIdentity?.scriptTag`; null when not identified. */
    hsIdentity: Identity | null;
  }
}

/** Options for the Hono middleware: every function option receives the context `c`. */
export type HonoOptions = HubSpotIdentifyOptions<Context, Context>;

const COMPRESSION_HINT =
  'Register compress() before hubspotIdentify() (app.use(compress()) first), so that the script is injected before the body is compressed.';

// Variables other middleware set (a session's user, secure-headers' nonce), which the app's own types may not name.
const variable = (c: Context, name: string): unknown => (c.var as Record<string, unknown>)[name];

const facts: FrameworkFacts<Context, Context> = {
  user: (c) => variable(c, 'user'),
  method: (c) => c.req.method,
  path: (c) => c.req.path,
  header: (c, name) => c.req.header(name),
  host: (c) => new URL(c.req.url).host,
  nonce: (c) => variable(c, 'secureHeadersNonce'),
  secure: (c) => c.req.url.startsWith('https:') || forwardedHttps((name) => c.req.header(name)),
  show: (c, _c, identity) => c.set('hsIdentity', identity),
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
  const flow = createPageFlow(options, facts, COMPRESSION_HINT);

  return withForget<MiddlewareHandler>(async function hubspotIdentifyMiddleware(c, next) {
    if (flow.isTokenRoute(c)) return tokenRouteResponse(await flow.tokenRoute(c), c.req.method);
    const visit = flow.visit(c, c);
    if (!visit) return next();
    if (visit.dropsValidators) c.req.raw = withoutValidators(c.req.raw);
    if (visit.ready) await visit.ready;
    const page = seeHtml(c);
    await next();
    // The text of a page the app answered with c.html(string), when that answer is what goes out.
    const response = rewriteResponse(visit, c.res, page.response === c.res ? page.text : undefined);
    const rewritten = isPromise(response) ? await response : response;
    if (rewritten === c.res) return;
    // On Node (@hono/node-server keeps the ServerResponse in c.env.outgoing), a validator that outer
    // middleware adds after ours (hono/etag registered first) is dropped as the headers go out.
    const outgoing = (c.env as { outgoing?: Parameters<typeof keepPrivateOnWriteHead>[0] } | undefined)?.outgoing;
    if (typeof outgoing?.writeHead === 'function' && typeof outgoing.removeHeader === 'function') keepPrivateOnWriteHead(outgoing);
    // Setting c.res over an existing one copies the old headers onto the new (Content-Length, ETag,
    // Cache-Control): clear it first so the rewritten headers stand.
    c.res = undefined;
    c.res = rewritten;
  }, flow);
}

export default hubspotIdentify;
