// hubspot-identify/fastify: the Fastify 5 plugin, translating Fastify's request/reply to the page flow.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  createPageFlow,
  dropValidators,
  HubSpotIdentifyError,
  isPromise,
  keepPrivateOnWriteHead,
  type Forgets,
  type FrameworkFacts,
  type HubSpotIdentifyOptions,
  type Identity,
  type ResponseHeaders,
  type Visit,
} from '../../src/page-flow.js';
import { injectBody, isWebResponse } from '../../src/node/body.js';

export {
  HubSpotIdentifyError,
  isHubSpotIdentifyError,
  type HubSpotIdentifyErrorCode,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

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

const COMPRESSION_HINT =
  'Register hubspot-identify before any plugin that encodes bodies in an app-level onSend hook, so that the script is injected first.';

const show = (request: FastifyRequest, reply: FastifyReply, identity: Identity | null) => {
  request.hsIdentity = identity;
  const withLocals = reply as WithLocals;
  if (withLocals.locals) withLocals.locals['hsIdentity'] = identity;
  else withLocals.locals = { hsIdentity: identity };
};

const facts: FrameworkFacts<FastifyRequest, FastifyReply> = {
  user: (request) => (request as FastifyRequest & { user?: unknown }).user,
  method: (request) => request.method,
  path: (request) => request.url.split('?', 1)[0]!,
  header: (request, name) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  },
  host: (request) => request.host,
  nonce: (_request, reply) => (reply as WithLocals).cspNonce?.script,
  secure: (request) => request.protocol === 'https',
  show,
};

const VISIT = Symbol('hubspot-identify.visit');
type Visited = FastifyRequest & { [VISIT]?: Visit<FastifyRequest, FastifyReply> };

/** A reply's headers, as the flow's rules read them; reply.header appends to Set-Cookie. */
const headersOf = (reply: FastifyReply): ResponseHeaders => ({
  get: (name) => reply.getHeader(name),
  set: (name, value) => {
    reply.header(name, value);
  },
  remove: (name) => {
    reply.removeHeader(name);
  },
  append: (name, value) => {
    reply.header(name, value);
  },
  names: () => Object.keys(reply.getHeaders()),
});

const misused = (fix: string) => new HubSpotIdentifyError('HSI_INVALID_OPTION', fix);

// Fastify sends a string without a content type as text/plain: an HTML page returned that way (a
// NestJS controller's string, a handler's template output) goes out uninjected, so say how to fix it.
const LOOKS_LIKE_HTML = /^\s*<(!doctype|html)[\s>]/i;
const PLAIN_TEXT = /^\s*text\/plain\b/i;

/**
 * A web Response sent as the payload: its status and headers go on the reply now, as Fastify puts
 * them after the onSend hooks, so that the rules read them; its body stream is the payload.
 */
function adopt(reply: FastifyReply, payload: unknown): unknown {
  if (!isWebResponse(payload) || payload.bodyUsed) return payload;
  reply.code(payload.status);
  payload.headers.forEach((value, name) => {
    reply.header(name, value);
  });
  return payload.body;
}

const plugin: FastifyPluginAsync<FastifyHubSpotIdentifyOptions> = async (fastify, options) => {
  if (typeof (fastify as Partial<typeof fastify> | undefined)?.addHook !== 'function') {
    throw misused('hubspotIdentify is a Fastify plugin, not a factory: register it as app.register(hubspotIdentify, options).');
  }
  // A second registration would identify every request twice (two HubSpot calls on a miss).
  if (fastify.hasRequestDecorator('hsIdentity')) {
    throw misused('hubspot-identify is registered twice in this app: register it once, at the root, and it covers every route.');
  }
  const flow = createPageFlow(options, facts, COMPRESSION_HINT);
  let saidNotHtml = false;
  fastify.decorateRequest('hsIdentity', null);
  fastify.decorate('hubspotIdentify', { forget: (email: string) => flow.forget(email) });

  const tokenRoute = flow.core.options.tokenRoute;
  if (tokenRoute !== false) {
    fastify.get(tokenRoute, async (request, reply) => {
      const answer = await flow.tokenRoute(request);
      reply.code(answer.status).headers(answer.headers);
      if (answer.setCookie) reply.header('set-cookie', answer.setCookie);
      return reply.send(answer.body);
    });
  }

  // null from the start of every request, so an error page rendered before preHandler (a failed
  // schema validation) can test hsIdentity too; after onRequest, where @fastify/view makes locals.
  fastify.addHook('preValidation', (request, reply, done) => {
    show(request, reply, null);
    done();
  });

  fastify.addHook('preHandler', (request, reply, done) => {
    if (tokenRoute !== false && request.routeOptions.url === tokenRoute) return done();
    const visit = flow.visit(request, reply);
    if (!visit) return done();
    (request as Visited)[VISIT] = visit;
    if (visit.dropsValidators) dropValidators(request.raw.headers);
    if (!visit.ready) return done();
    visit.ready.then(() => done(), done);
  });

  /** Says once, per plugin, that a page load's HTML went out as text/plain. */
  const warnNotHtml = (reply: FastifyReply, payload: unknown) => {
    if (
      saidNotHtml ||
      typeof payload !== 'string' ||
      !PLAIN_TEXT.test(String(reply.getHeader('content-type'))) ||
      !LOOKS_LIKE_HTML.test(payload)
    )
      return;
    saidNotHtml = true;
    flow.core.report(
      new HubSpotIdentifyError(
        'HSI_NOT_HTML',
        "An HTML page went out as text/plain (a string sent without a content type), so the visitor's identification was not injected. Set Content-Type: text/html: reply.type('text/html'), or @Header('Content-Type', 'text/html') on a NestJS controller method.",
      ),
    );
  };

  /** Applies the visit's rules as the reply goes out: private, injected, the logout marker appended when the page took the script. */
  const rewrite = (
    visit: Visit<FastifyRequest, FastifyReply>,
    reply: FastifyReply,
    payload: unknown,
    verdict: string,
    done: (error: Error | null, payload?: unknown) => void,
  ) => {
    if (verdict === 'untouched') {
      if (visit.named) warnNotHtml(reply, payload);
      return done(null, payload);
    }
    // Validators dropped as the headers go out, whatever a later onSend hook adds.
    keepPrivateOnWriteHead(reply.raw);
    if (verdict !== 'inject') return done(null, payload);
    const rewritten = injectBody(visit, payload);
    if (rewritten.delivered) visit.deliver(headersOf(reply));
    if (rewritten.body === payload) return done(null, payload);
    if (rewritten.streamed) reply.removeHeader('content-length');
    else if (reply.hasHeader('content-length')) reply.header('content-length', (rewritten.body as Buffer).length);
    done(null, rewritten.body);
  };

  fastify.addHook('onSend', (request, reply, sent, done) => {
    const visit = (request as Visited)[VISIT];
    if (!visit) return done(null, sent);
    const payload = adopt(reply, sent);
    const verdict = visit.respond(reply.statusCode, headersOf(reply));
    if (!isPromise(verdict)) return rewrite(visit, reply, payload, verdict, done);
    verdict.then(
      (decided) => rewrite(visit, reply, payload, decided, done),
      () => done(null, payload),
    );
  });
};

/** The Fastify plugin: `await app.register(hubspotIdentify, options)`. Registered at the root, it covers every route. */
export const hubspotIdentify = fp(plugin, { fastify: '5.x', name: 'hubspot-identify' });

export default hubspotIdentify;
