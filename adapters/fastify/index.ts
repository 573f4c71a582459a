// hubspot-identify/fastify: the Fastify 5 plugin, translating Fastify's request/reply to the core.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { privateCacheControl } from '../../src/http/cache-headers.js';
import { createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';

export * from '../../src/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The identified visitor; null when not identified. Also in `reply.locals.hsIdentity` for @fastify/view. */
    hsIdentity: Identity | null;
  }
}

/** What the plugin adds to `reply.locals`; extend your @fastify/view `Locals` interface with it. */
export interface HubSpotIdentifyLocals {
  hsIdentity?: Identity;
}

export type FastifyHubSpotIdentifyOptions = HubSpotIdentifyOptions<FastifyRequest, FastifyReply>;

type WithLocals = FastifyReply & { locals?: Record<string, unknown> | null; cspNonce?: { script?: string } };

const COMPRESSION_HINT = 'Register hubspot-identify before any plugin that encodes bodies in an app-level onSend hook, so that the script is injected first.';

const fastifyBinding: FrameworkBinding<FastifyRequest, FastifyReply> = {
  user: (request) => (request as FastifyRequest & { user?: unknown }).user,
  method: (request) => request.method,
  accept: (request) => request.headers.accept,
  nonce: (_request, reply) => (reply as WithLocals).cspNonce?.script,
};

const plugin: FastifyPluginAsync<FastifyHubSpotIdentifyOptions> = async (fastify, options) => {
  const hs = createRequestIdentifier(options, fastifyBinding);
  const { tokenRoute } = hs.core.options;

  if (!fastify.hasRequestDecorator('hsIdentity')) fastify.decorateRequest('hsIdentity', null);
  if (!fastify.hasReplyDecorator('locals')) fastify.decorateReply('locals', null);

  if (tokenRoute !== false) {
    fastify.get(tokenRoute, async (request, reply) => {
      const { status, body } = await hs.tokenRoute(request, reply);
      return reply.code(status).header('cache-control', 'no-store').send(body);
    });
  }

  const carry = (request: FastifyRequest, reply: FastifyReply, identity: Identity | null) => {
    if (!identity) return;
    request.hsIdentity = identity;
    const withLocals = reply as WithLocals;
    withLocals.locals = withLocals.locals ? { ...withLocals.locals, hsIdentity: identity } : { hsIdentity: identity };
  };

  // Callback-style hooks: on a cache hit nothing here waits, so the reply goes out in the same tick.
  fastify.addHook('preHandler', (request, reply, done) => {
    if (tokenRoute !== false && request.routeOptions.url === tokenRoute) return done();
    const identity = hs.identify(request, reply);
    if (!isPromise(identity)) {
      carry(request, reply, identity);
      return done();
    }
    identity.then((value) => {
      carry(request, reply, value);
      done();
    }, done);
  });

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const identity = request.hsIdentity;
    if (!identity) return done(null, payload);
    reply.header('cache-control', privateCacheControl(reply.getHeader('cache-control')));
    const rewritten = hs.rewriteBody(identity, payload, reply.getHeader('content-type'), reply.getHeader('content-encoding'), COMPRESSION_HINT);
    if (!rewritten) return done(null, payload);
    if (rewritten.streamed) reply.removeHeader('content-length');
    else if (reply.hasHeader('content-length')) reply.header('content-length', (rewritten.body as Buffer).length);
    done(null, rewritten.body);
  });
};

/** The Fastify plugin: `await app.register(hubspotIdentify, options)`. Registered at the root, it covers every route. */
export const hubspotIdentify = fp(plugin, { fastify: '5.x', name: 'hubspot-identify' });

export default hubspotIdentify;
