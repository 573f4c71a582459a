// hubspot-identify/koa: the Koa 3 middleware, translating Koa's context to the core.
import type { Context, Middleware } from 'koa';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { privateCacheControl } from '../../src/http/cache-headers.js';
import { createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';

export * from '../../src/index.js';

declare module 'koa' {
  interface DefaultState {
    /** The identified visitor, for templates (koa-views): `hsIdentity.scriptTag`. Absent when not identified. */
    hsIdentity?: Identity;
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
  const hs = createRequestIdentifier(options, koa);
  const { tokenRoute } = hs.core.options;

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
    if (!identity) return next();
    ctx.state.hsIdentity = identity;
    await next();
    if (ctx.headerSent) return;
    ctx.set('Cache-Control', privateCacheControl(ctx.response.get('Cache-Control')));
    // Koa sets Content-Length for a new Buffer body, and drops it for a new stream.
    const rewritten = hs.rewriteBody(identity, ctx.body, ctx.response.get('Content-Type'), ctx.response.get('Content-Encoding'), COMPRESSION_HINT);
    if (rewritten) ctx.body = rewritten.body;
  };
}

export default hubspotIdentify;
