// hubspot-identify/express: the Express 5 middleware, translating Express's req/res to the core.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import { carryIdentity, stateOf, withPrototypeHooks, type Hook, type Responder } from './response-hooks.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { HubSpotIdentifyError } from '../../src/errors.js';
import type { Report } from '../../src/report.js';
import { assertCalledAsFactory, createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';

export * from '../../src/index.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The identified visitor, for templates: `hsIdentity.scriptTag`; null when not identified. */
      hsIdentity: Identity | null;
    }
  }
}

export type ExpressOptions = HubSpotIdentifyOptions<Request, Response>;

const COMPRESSION_HINT = 'Register compression() before hubspotIdentify(), so that the script is injected before the body is compressed.';

const express: FrameworkBinding<Request, Response> = {
  user: (req) => (req as Request & { user?: unknown }).user,
  method: (req) => req.method,
  accept: (req) => req.headers.accept,
  nonce: (_req, res) => (res.locals as Record<string, unknown>)['cspNonce'],
};

// res.send (and so res.render) holds the whole body: inject before Express sets Content-Length and ETag.
const sendHook: Hook = (send) => function (this: ServerResponse, body?: unknown) {
  const state = stateOf(this);
  const res = this as Response;
  if (state && !state.decided && (typeof body === 'string' || Buffer.isBuffer(body))) {
    if (typeof body === 'string' && !res.get('Content-Type')) res.type('html');
    if (state.settle(res.statusCode, true) === 'inject') {
      const { core } = state.responder.hs;
      body = typeof body === 'string' ? core.inject(body, state.identity) : core.injectBytes(body, state.identity);
    }
  }
  return send.call(this, body);
};

const hooks = withPrototypeHooks({ send: sendHook });

/**
 * Says once that the middleware got bare Node req/res, not Express's (no `req.app`, no `res.locals`):
 * NestJS on Fastify passes them through middie to `app.use`. The request goes on untouched.
 */
function wrongFrameworkCheck(report: Report): (req: Request, res: Response) => boolean {
  let said = false;
  return (req, res) => {
    if (req.app !== undefined || res.locals !== undefined) return false;
    if (!said) {
      said = true;
      report(new HubSpotIdentifyError('HSI_INVALID_OPTION',
        "hubspot-identify/express got a request that is not Express's (no req.app or res.locals): this looks like a Fastify app, e.g. NestJS on @nestjs/platform-fastify. Import hubspot-identify/fastify and register the plugin instead: await app.register(hubspotIdentify, options)."));
    }
    return true;
  };
}

/** Express middleware: identifies the visitor, exposes `res.locals.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: ExpressOptions): RequestHandler {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const hs = createRequestIdentifier(options, express);
  const { tokenRoute } = hs.core.options;
  const responder: Responder = { hs, compressionHint: COMPRESSION_HINT, hooks };
  const notExpress = wrongFrameworkCheck(hs.core.report);

  const proceed = (req: Request, res: Response, next: NextFunction, identity: Identity | null) => {
    res.locals.hsIdentity = identity;
    if (identity) {
      dropConditionals(req.headers);
      carryIdentity(res, identity, responder);
    }
    next();
  };

  return function hubspotIdentifyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (notExpress(req, res)) return next();
    if (tokenRoute !== false && req.path === tokenRoute && (req.method === 'GET' || req.method === 'HEAD')) {
      hs.tokenRoute(req, res).then(({ status, body }) => {
        res.status(status).set('Cache-Control', 'no-store').json(body);
      }, next);
      return;
    }
    const identity = hs.identify(req, res);
    if (isPromise(identity)) identity.then((value) => proceed(req, res, next, value), next);
    else proceed(req, res, next, identity);
  };
}

export default hubspotIdentify;
