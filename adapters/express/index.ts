// hubspot-identify/express: the Express 5 middleware, translating Express's req/res to the core.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import { interceptResponse } from '../../src/node-response.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { createRequestIdentifier, type FrameworkBinding } from '../../src/request.js';

export * from '../../src/index.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The identified visitor, for templates: `hsIdentity.scriptTag`. Absent when not identified. */
      hsIdentity?: Identity;
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

/** Express middleware: identifies the visitor, exposes `res.locals.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: ExpressOptions): RequestHandler {
  const hs = createRequestIdentifier(options, express);
  const { core } = hs;
  const { tokenRoute } = core.options;
  const shouldRewrite = (res: { getHeader(name: string): unknown }) =>
    hs.shouldRewrite(res.getHeader('Content-Type'), res.getHeader('Content-Encoding'), COMPRESSION_HINT);

  function carry(res: Response, identity: Identity): void {
    res.locals.hsIdentity = identity;
    const handled = { value: false };
    interceptResponse(res, core, identity, { shouldRewrite, handled });
    const send = res.send;
    // res.send (and so res.render) holds the whole body: inject before Express sets Content-Length and ETag.
    res.send = function (body?: unknown) {
      if (!handled.value && (typeof body === 'string' || Buffer.isBuffer(body))) {
        if (typeof body === 'string' && !res.get('Content-Type')) res.type('html');
        if (shouldRewrite(res)) {
          handled.value = true;
          body = typeof body === 'string' ? core.inject(body, identity) : core.injectBytes(body, identity);
        }
      }
      return send.call(this, body);
    };
  }

  return function hubspotIdentifyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (tokenRoute !== false && req.path === tokenRoute && (req.method === 'GET' || req.method === 'HEAD')) {
      hs.tokenRoute(req, res).then(({ status, body }) => {
        res.status(status).set('Cache-Control', 'no-store').json(body);
      }, next);
      return;
    }
    const proceed = (identity: Identity | null) => {
      if (identity) carry(res, identity);
      next();
    };
    const identity = hs.identify(req, res);
    if (isPromise(identity)) identity.then(proceed, next);
    else proceed(identity);
  };
}

export default hubspotIdentify;
