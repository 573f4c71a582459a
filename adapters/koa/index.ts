// hubspot-identify/koa: the Koa 3 middleware, translating Koa's context to the core.
import type { Context, Middleware } from 'koa';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { injectBody } from '../../src/http/body-rewrite.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { assertCalledAsFactory, createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';
import type { HeaderAccess } from '../../src/http/response-policy.js';
import { watchForLateAuthentication } from '../../src/http/late-authentication.js';

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
};

/** Koa middleware: identifies the visitor, exposes `ctx.state.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: KoaOptions): Middleware {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const late = watchForLateAuthentication(options, koa);
  const hs = createRequestIdentifier(late.options, late.binding);
  const { tokenRoute } = hs.core.options;

  /** A page load anonymous at first whose visitor router-level auth set meanwhile: identified now, within `timeout`. */
  const lookAgain = async (ctx: Context): Promise<Identity | null> => {
    const identity = await hs.identify(ctx, ctx);
    ctx.state.hsIdentity = identity;
    return identity;
  };

  return async function hubspotIdentifyMiddleware(ctx, next) {
    if (tokenRoute !== false && ctx.path === tokenRoute && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const { status, body } = await hs.tokenRoute(ctx, ctx);
      ctx.status = status;
      ctx.body = body;
      ctx.set('Cache-Control', 'no-store');
      return;
    }
    const found = hs.identify(ctx, ctx);
    const identity = isPromise(found) ? await found : found;
    ctx.state.hsIdentity = identity;
    if (identity) dropConditionals(ctx.req.headers);
    await next();
    const sent = identity ?? (late.wasAnonymous(ctx) ? await lookAgain(ctx) : null);
    if (!sent || ctx.headerSent || hs.respond(sent, ctx.status, ctx.response as HeaderAccess, COMPRESSION_HINT) !== 'inject') return;
    // Koa sets Content-Length for a new Buffer body, and drops it for a new stream.
    const rewritten = injectBody(hs.core, ctx.body, sent);
    if (rewritten.body !== ctx.body) ctx.body = rewritten.body;
  };
}

export default hubspotIdentify;
