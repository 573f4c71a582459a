// hubspot-identify/express: the Express 5 middleware, translating Express's req/res to the core.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import { carryIdentity, stateOf, type Hook } from './response-hooks.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { createRequestIdentifier, type FrameworkBinding } from '../../src/http/request-identifier.js';

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

// res.send (and so res.render) holds the whole body: inject before Express sets Content-Length and ETag.
const sendHook: Hook = (send) => function (this: ServerResponse, body?: unknown) {
  const state = stateOf(this);
  const res = this as Response;
  if (state && !state.handled && (typeof body === 'string' || Buffer.isBuffer(body))) {
    if (typeof body === 'string' && !res.get('Content-Type')) res.type('html');
    if (state.shouldRewrite(res)) {
      state.handled = true;
      body = typeof body === 'string' ? state.core.inject(body, state.identity) : state.core.injectBytes(body, state.identity);
    }
  }
  return send.call(this, body);
};

/** Express middleware: identifies the visitor, exposes `res.locals.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: ExpressOptions): RequestHandler {
  const hs = createRequestIdentifier(options, express);
  const { core } = hs;
  const { tokenRoute } = core.options;
  const shouldRewrite = (res: { getHeader(name: string): unknown }) =>
    hs.shouldRewrite(res.getHeader('Content-Type'), res.getHeader('Content-Encoding'), COMPRESSION_HINT);

  const proceed = (res: Response, next: NextFunction, identity: Identity | null) => {
    if (identity) {
      res.locals.hsIdentity = identity;
      carryIdentity(res, { core, identity, shouldRewrite }, { send: sendHook });
    }
    next();
  };

  return function hubspotIdentifyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (tokenRoute !== false && req.path === tokenRoute && (req.method === 'GET' || req.method === 'HEAD')) {
      hs.tokenRoute(req, res).then(({ status, body }) => {
        res.status(status).set('Cache-Control', 'no-store').json(body);
      }, next);
      return;
    }
    const identity = hs.identify(req, res);
    if (isPromise(identity)) identity.then((value) => proceed(res, next, value), next);
    else proceed(res, next, identity);
  };
}

export default hubspotIdentify;
