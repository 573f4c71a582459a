// hubspot-identify/koa: the Koa 3 middleware, translating Koa's context to the core.
import type { Context, Middleware } from 'koa';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { injectBody } from '../../src/http/body-rewrite.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { ANONYMOUS_PAGE, assertCalledAsFactory, createRequestIdentifier, firstPass, withForget, type FrameworkBinding, type Forgets } from '../../src/http/request-identifier.js';
import type { HeaderAccess } from '../../src/http/response-policy.js';
import { carriesMarker } from '../../src/http/logout-marker.js';
import { keepPrivateOnWriteHead } from '../../src/http/write-head.js';

export * from '../../src/index.js';

declare module 'koa' {
  interface DefaultState {
    /** The identified visitor, for templates (koa-views): `hsIdentity.scriptTag`; null when not identified. */
    hsIdentity: Identity | null;
  }
}

export type KoaOptions = HubSpotIdentifyOptions<Context, Context>;

const COMPRESSION_HINT = 'Register koa-compress before hubspotIdentify() (app.use(compress()) first), so that the script is injected before the body is compressed.';

const koa: FrameworkBinding<Context, Context> = {
  user: (ctx) => ctx.state['user'],
  method: (ctx) => ctx.method,
  accept: (ctx) => ctx.get('Accept') || undefined,
  nonce: (ctx) => ctx.state['cspNonce'],
  cookie: (ctx) => ctx.get('Cookie') || undefined,
  secure: (ctx) => ctx.secure,
};

/** Koa middleware: identifies the visitor, exposes `ctx.state.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: KoaOptions): Middleware & Forgets {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const hs = createRequestIdentifier(options, koa);
  const { tokenRoute } = hs.core.options;

  /**
   * Applies the rules to a response carrying `carried`'s script: private (validators dropped as the
   * headers go out, whatever outer middleware adds), the script injected, and the logout marker's
   * cookie appended when the page took the script.
   */
  const carry = (ctx: Context, carried: Identity, setCookie: string | undefined) => {
    if (ctx.headerSent) return;
    const verdict = hs.respond(carried, ctx.status, ctx.response as HeaderAccess, COMPRESSION_HINT);
    if (verdict === 'untouched') return;
    keepPrivateOnWriteHead(ctx.res);
    if (verdict !== 'inject') return;
    // Koa sets Content-Length for a new Buffer body, and drops it for a new stream.
    const rewritten = injectBody(hs.core, ctx.body, carried);
    if (rewritten.body !== ctx.body) ctx.body = rewritten.body;
    if (setCookie && rewritten.delivered && !carriesMarker(ctx.response.get('Set-Cookie'))) ctx.append('Set-Cookie', setCookie);
  };

  /**
   * A page that went out without an identity: one whose visitor router-level auth named meanwhile is
   * identified now (within `timeout`); one that arrives with the logout marker resets the widget.
   */
  const afterAnonymous = async (ctx: Context, first: null | typeof ANONYMOUS_PAGE) => {
    const found = first === ANONYMOUS_PAGE ? hs.identifyLate(ctx, ctx) : hs.markAnonymous(ctx, ctx);
    const step = isPromise(found) ? await found : found;
    if (!step) return;
    ctx.state.hsIdentity = step.identity;
    carry(ctx, step.carried, step.setCookie);
  };

  return withForget<Middleware>(async function hubspotIdentifyMiddleware(ctx, next) {
    if (tokenRoute !== false && ctx.path === tokenRoute && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const { status, body } = await hs.tokenRoute(ctx, ctx);
      ctx.status = status;
      ctx.body = body;
      ctx.set('Cache-Control', 'no-store');
      return;
    }
    if (!firstPass(ctx)) return next();
    const found = hs.identifyPage(ctx, ctx);
    const identity = isPromise(found) ? await found : found;
    if (identity === null || identity === ANONYMOUS_PAGE) {
      ctx.state.hsIdentity = null;
      await next();
      return afterAnonymous(ctx, identity);
    }
    const step = hs.markIdentified(ctx, ctx, identity);
    ctx.state.hsIdentity = step ? step.identity : identity;
    dropConditionals(ctx.req.headers);
    try {
      await next();
    } catch (error) {
      // An outer error handler renders the page now, its template free to print hsIdentity: an HTML
      // page it sends goes private all the same.
      keepPrivateOnWriteHead(ctx.res, 'html-page');
      throw error;
    }
    carry(ctx, step ? step.carried : identity, step?.setCookie);
  }, hs);
}

export default hubspotIdentify;
