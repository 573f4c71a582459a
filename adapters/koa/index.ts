// hubspot-identify/koa: the Koa 3 middleware, translating Koa's context to the page flow.
import type { Context, Middleware } from 'koa';
import {
  assertCalledAsFactory,
  createPageFlow,
  dropValidators,
  isPromise,
  keepPrivateOnWriteHead,
  responseHeaders,
  withForget,
  type Forgets,
  type FrameworkFacts,
  type HubSpotIdentifyOptions,
  type Identity,
  type Visit,
} from '../../src/page-flow.js';
import { injectBody } from '../../src/node/body.js';

export {
  HubSpotIdentifyError,
  isHubSpotIdentifyError,
  type HubSpotIdentifyErrorCode,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

declare module 'koa' {
  interface DefaultState {
    /** The identified visitor, for templates (koa-views): `hsIdentity.scriptTag`; null when not identified. */
    hsIdentity: Identity | null;
  }
}

export type KoaOptions = HubSpotIdentifyOptions<Context, Context>;

const COMPRESSION_HINT =
  'Register koa-compress before hubspotIdentify() (app.use(compress()) first), so that the script is injected before the body is compressed.';

const facts: FrameworkFacts<Context, Context> = {
  user: (ctx) => ctx.state['user'],
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
  header: (ctx, name) => {
    const value = ctx.req.headers[name];
    return typeof value === 'string' ? value : undefined;
  },
  host: (ctx) => ctx.host || undefined,
  nonce: (ctx) => ctx.state['cspNonce'],
  secure: (ctx) => ctx.secure,
  show: (ctx, _ctx, identity) => {
    ctx.state.hsIdentity = identity;
  },
};

/** Applies the visit's rules as the response goes out: private, injected, the logout marker appended when the page took the script. */
async function respond(ctx: Context, visit: Visit<Context, Context>): Promise<void> {
  if (ctx.headerSent) return;
  const headers = responseHeaders(ctx.res);
  const decided = visit.respond(ctx.status, headers);
  const verdict = isPromise(decided) ? await decided : decided;
  if (verdict === 'untouched' || ctx.headerSent) return;
  // Validators dropped as the headers go out, whatever outer middleware (koa-etag) adds.
  keepPrivateOnWriteHead(ctx.res);
  if (verdict !== 'inject') return;
  // Koa sets Content-Length for a new Buffer body, and drops it for a new stream.
  const rewritten = injectBody(visit, ctx.body);
  if (rewritten.body !== ctx.body) ctx.body = rewritten.body;
  if (rewritten.delivered) visit.deliver(headers);
}

/** Koa middleware: identifies the visitor, exposes `ctx.state.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: KoaOptions): Middleware & Forgets {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const flow = createPageFlow(options, facts, COMPRESSION_HINT);

  return withForget<Middleware>(async function hubspotIdentifyMiddleware(ctx, next) {
    if (flow.isTokenRoute(ctx)) {
      const answer = await flow.tokenRoute(ctx);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      if (answer.setCookie) ctx.append('Set-Cookie', answer.setCookie);
      ctx.body = answer.body;
      return;
    }
    const visit = flow.visit(ctx, ctx);
    if (!visit) return next();
    if (visit.dropsValidators) dropValidators(ctx.req.headers);
    if (visit.ready) await visit.ready;
    try {
      await next();
    } catch (error) {
      // Rethrown at once: Koa's own error answer is text/plain, which must not wait for HubSpot. An outer
      // error handler's template prints hsIdentity if it is known by then (as any template on a cold
      // page), and an HTML page it sends for a named visitor goes private all the same.
      if (visit.named) keepPrivateOnWriteHead(ctx.res, 'html-page');
      throw error;
    }
    await respond(ctx, visit);
  }, flow);
}

export default hubspotIdentify;
