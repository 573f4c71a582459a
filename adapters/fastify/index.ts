// hubspot-identify/fastify: the Fastify 5 plugin, translating Fastify's request/reply to the core.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { injectBody, isWebResponse } from '../../src/http/body-rewrite.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { ANONYMOUS_PAGE, createRequestIdentifier, type FrameworkBinding, type Forgets, type PageStep } from '../../src/http/request-identifier.js';
import type { HeaderAccess } from '../../src/http/response-policy.js';
import { carriesMarker, mayHoldMarker } from '../../src/http/logout-marker.js';
import { keepPrivateOnWriteHead } from '../../src/http/write-head.js';
import { HubSpotIdentifyError } from '../../src/errors.js';
import type { Report } from '../../src/report.js';

export * from '../../src/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The identified visitor; null when not identified. Also in `reply.locals.hsIdentity` for @fastify/view. */
    hsIdentity: Identity | null;
  }
  interface FastifyReply {
    /**
     * @fastify/view's template data (which it reads but does not type); the plugin makes it, when no
     * one has, before preValidation, and sets `hsIdentity` there: typed as Express types `res.locals`.
     */
    locals: Record<string, any> & HubSpotIdentifyLocals;
  }
  interface FastifyInstance {
    /** The plugin's handle: `app.hubspotIdentify.forget(email)` drops a visitor's cached token. */
    hubspotIdentify: Forgets;
  }
}

/** What the plugin puts on `reply.locals` (and types there). */
export interface HubSpotIdentifyLocals {
  /** The identified visitor; null when not identified. */
  hsIdentity: Identity | null;
}

export type FastifyHubSpotIdentifyOptions = HubSpotIdentifyOptions<FastifyRequest, FastifyReply>;

type WithLocals = FastifyReply & { locals?: Record<string, unknown> | null; cspNonce?: { script?: string } };

const COMPRESSION_HINT = 'Register hubspot-identify before any plugin that encodes bodies in an app-level onSend hook, so that the script is injected first.';

const fastifyBinding: FrameworkBinding<FastifyRequest, FastifyReply> = {
  user: (request) => (request as FastifyRequest & { user?: unknown }).user,
  method: (request) => request.method,
  accept: (request) => request.headers.accept,
  nonce: (_request, reply) => (reply as WithLocals).cspNonce?.script,
  cookie: (request) => request.headers.cookie,
  secure: (request) => request.protocol === 'https',
};

// The logout marker's step of a request, when it has one (the rare page: first login, logout, change of visitor).
const steps = new WeakMap<FastifyRequest, PageStep>();
// Page loads whose visitor was not named when the plugin ran: they look again when sent (late authentication).
const anonymousPages = new WeakSet<FastifyRequest>();

/** A reply's headers, as the shared rules read them. */
class ReplyHeaders implements HeaderAccess {
  constructor(private readonly reply: FastifyReply) {}

  get(name: string): unknown {
    return this.reply.getHeader(name);
  }

  set(name: string, value: string | string[]): void {
    this.reply.header(name, value);
  }

  remove(name: string): void {
    this.reply.removeHeader(name);
  }
}

const misused = (fix: string) => new HubSpotIdentifyError('HSI_INVALID_OPTION', fix);

// Fastify sends a string without a content type as text/plain: an HTML page returned that way (a
// NestJS controller's string, a handler's template output) goes out uninjected, so say how to fix it.
const LOOKS_LIKE_HTML = /^\s*<(!doctype|html)[\s>]/i;
const PLAIN_TEXT = /^\s*text\/plain\b/i;

/** Says once, per plugin, that an identified page went out as text/plain. */
function notHtmlWarning(report: Report): (reply: FastifyReply, payload: unknown) => void {
  let said = false;
  return (reply, payload) => {
    if (said || typeof payload !== 'string' || !PLAIN_TEXT.test(String(reply.getHeader('content-type'))) || !LOOKS_LIKE_HTML.test(payload)) return;
    said = true;
    report(new HubSpotIdentifyError('HSI_NOT_HTML',
      "An HTML page went out as text/plain (a string sent without a content type), so the visitor's identification was not injected. Set Content-Type: text/html: reply.type('text/html'), or @Header('Content-Type', 'text/html') on a NestJS controller method."));
  };
}

const plugin: FastifyPluginAsync<FastifyHubSpotIdentifyOptions> = async (fastify, options) => {
  if (typeof (fastify as Partial<typeof fastify> | undefined)?.addHook !== 'function') {
    throw misused('hubspotIdentify is a Fastify plugin, not a factory: register it as app.register(hubspotIdentify, options).');
  }
  // A second registration would identify every request twice (two HubSpot calls on a miss).
  if (fastify.hasRequestDecorator('hsIdentity')) {
    throw misused('hubspot-identify is registered twice in this app: register it once, at the root, and it covers every route.');
  }
  const hs = createRequestIdentifier(options, fastifyBinding);
  const warnNotHtml = notHtmlWarning(hs.core.report);
  const { tokenRoute } = hs.core.options;
  fastify.decorateRequest('hsIdentity', null);
  fastify.decorate('hubspotIdentify', { forget: (email: string) => hs.core.forget(email) });
  // reply.locals is @fastify/view's (it decorates it and gives each request its own object): not
  // decorated here, so that registering this plugin first does not turn its set-up off.


  if (tokenRoute !== false) {
    fastify.get(tokenRoute, async (request, reply) => {
      const { status, body } = await hs.tokenRoute(request, reply);
      return reply.code(status).header('cache-control', 'no-store').send(body);
    });
  }

  const showIdentity = (request: FastifyRequest, reply: FastifyReply, identity: Identity | null) => {
    request.hsIdentity = identity;
    const withLocals = reply as WithLocals;
    if (withLocals.locals) withLocals.locals['hsIdentity'] = identity;
    else withLocals.locals = { hsIdentity: identity };
  };

  const carry = (request: FastifyRequest, reply: FastifyReply, found: Identity | null | typeof ANONYMOUS_PAGE) => {
    if (found === ANONYMOUS_PAGE) anonymousPages.add(request);
    const identified = found === ANONYMOUS_PAGE ? null : found;
    const step = identified ? hs.markIdentified(request, reply, identified) : undefined;
    if (step) steps.set(request, step);
    const identity = step ? step.identity : identified;
    showIdentity(request, reply, identity);
    if (identity) dropConditionals(request.raw.headers);
  };

  // null from the start of every request, so an error page rendered before preHandler (a failed
  // schema validation) can test hsIdentity too; after onRequest, where @fastify/view makes locals.
  fastify.addHook('preValidation', (request, reply, done) => {
    showIdentity(request, reply, null);
    done();
  });

  // Callback-style hooks: on a cache hit nothing here waits, so the reply goes out in the same tick.
  fastify.addHook('preHandler', (request, reply, done) => {
    if (tokenRoute !== false && request.routeOptions.url === tokenRoute) return done();
    const identity = hs.identifyPage(request, reply);
    if (!isPromise(identity)) {
      carry(request, reply, identity);
      return done();
    }
    identity.then((value) => {
      carry(request, reply, value);
      done();
    }, done);
  });

  /**
   * Applies the rules to a reply carrying `carried`'s script: private (validators dropped as the
   * headers go out, whatever a later onSend hook adds), the script injected, and the logout marker's
   * cookie appended when the page took the script.
   */
  const rewrite = (reply: FastifyReply, payload: unknown, carried: Identity, setCookie: string | undefined, done: (error: Error | null, payload?: unknown) => void) => {
    const verdict = hs.respond(carried, reply.statusCode, new ReplyHeaders(reply), COMPRESSION_HINT);
    if (verdict === 'untouched') {
      warnNotHtml(reply, payload);
      return done(null, payload);
    }
    keepPrivateOnWriteHead(reply.raw);
    if (verdict !== 'inject') return done(null, payload);
    const rewritten = injectBody(hs.core, payload, carried);
    // reply.header appends to set-cookie rather than replacing it.
    if (setCookie && rewritten.delivered && !carriesMarker(reply.getHeader('set-cookie'))) reply.header('set-cookie', setCookie);
    if (rewritten.body === payload) return done(null, payload);
    if (rewritten.streamed) reply.removeHeader('content-length');
    else if (reply.hasHeader('content-length')) reply.header('content-length', (rewritten.body as Buffer).length);
    done(null, rewritten.body);
  };

  /**
   * A web Response sent as the payload: its status and headers go on the reply now, as Fastify puts
   * them after the onSend hooks, so that the rules read them; its body stream is the payload.
   */
  const adopt = (reply: FastifyReply, payload: unknown): unknown => {
    if (!isWebResponse(payload) || payload.bodyUsed) return payload;
    reply.code(payload.status);
    payload.headers.forEach((value, name) => { reply.header(name, value); });
    return payload.body;
  };

  fastify.addHook('onSend', (request, reply, sent, done) => {
    const identity = request.hsIdentity;
    // Only a reply the rules may touch is taken apart here; any other goes on to Fastify as it came.
    const payload = identity || anonymousPages.has(request) || mayHoldMarker(request.headers.cookie) ? adopt(reply, sent) : sent;
    if (identity) {
      const step = steps.get(request);
      return rewrite(reply, payload, step ? step.carried : identity, step?.setCookie, done);
    }
    // A page load anonymous at first whose visitor a route preHandler or a NestJS guard named
    // meanwhile is identified now (within `timeout`); an anonymous page with the logout marker resets.
    const found = anonymousPages.has(request) ? hs.identifyLate(request, reply) : hs.markAnonymous(request, reply);
    const settle = (step: PageStep | undefined) => {
      if (!step) return done(null, payload);
      if (step.identity) showIdentity(request, reply, step.identity);
      rewrite(reply, payload, step.carried, step.setCookie, done);
    };
    if (isPromise(found)) found.then(settle, () => done(null, payload));
    else settle(found);
  });
};

/** The Fastify plugin: `await app.register(hubspotIdentify, options)`. Registered at the root, it covers every route. */
export const hubspotIdentify = fp(plugin, { fastify: '5.x', name: 'hubspot-identify' });

export default hubspotIdentify;
