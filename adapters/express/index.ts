// hubspot-identify/express: the Express 5 middleware, translating Express's req/res to the core.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity } from '../../src/identifier.js';
import { isPromise } from '../../src/maybe-promise.js';
import { carryIdentity, stateOf, withPrototypeHooks, type Hook, type Responder } from './response-hooks.js';
import type { HubSpotIdentifyOptions } from '../../src/options.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { injectWhole } from '../../src/http/body-rewrite.js';
import { HubSpotIdentifyError } from '../../src/errors.js';
import type { Report } from '../../src/report.js';
import { ANONYMOUS_PAGE, assertCalledAsFactory, createRequestIdentifier, firstPass, withForget, type FrameworkBinding, type Forgets, type PageStep } from '../../src/http/request-identifier.js';

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
  cookie: (req) => req.headers.cookie,
  secure: (req) => req.secure,
};

// res.send (and so res.render) holds the whole body: inject before Express sets Content-Length and ETag.
const sendHook: Hook = (send) => function (this: ServerResponse, body?: unknown) {
  const state = stateOf(this);
  const res = this as Response;
  if (!state || state.decided || (typeof body !== 'string' && !Buffer.isBuffer(body))) return send.call(this, body);
  if (typeof body === 'string' && !res.get('Content-Type')) res.type('html');
  // Late authentication (a route guard set the user): the page waits for the visitor's token, within `timeout`.
  const late = state.identifyLate(res.statusCode);
  if (!isPromise(late)) return sendWhole(send, res, state.settle(res.statusCode, true), body);
  late.then(() => sendWhole(send, res, state.settle(res.statusCode, true), body)).catch((error: unknown) => res.req.next?.(error));
  return res;
};

// A Content-Type's charset parameter, and one that already says UTF-8.
const CHARSET = /;\s*charset=(?:"[^"]*"|[^;]*)/i;
const UTF8 = /;\s*charset="?utf-8"?\s*(?:;|$)/i;

function sendWhole(send: (this: ServerResponse, body?: unknown) => unknown, res: Response, verdict: string, body: string | Buffer): unknown {
  const state = stateOf(res)!;
  if (verdict === 'inject') {
    const injected = injectWhole(state.responder.hs.core, body, state.identity!);
    if (injected.delivered) state.deliverMarker();
    // A string page comes back as its UTF-8 bytes: labelled as Express labels the strings it encodes so.
    if (typeof body === 'string' && injected.body !== body) {
      const type = res.getHeader('Content-Type');
      if (typeof type === 'string' && !UTF8.test(type)) res.setHeader('Content-Type', CHARSET.test(type) ? type.replace(CHARSET, '; charset=utf-8') : `${type}; charset=utf-8`);
    }
    body = injected.body;
  }
  return send.call(res, body);
}

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
export function hubspotIdentify(options?: ExpressOptions): RequestHandler & Forgets {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const hs = createRequestIdentifier(options, express);
  const { tokenRoute } = hs.core.options;
  const responder: Responder = { hs, compressionHint: COMPRESSION_HINT, hooks };
  const notExpress = wrongFrameworkCheck(hs.core.report);

  const proceed = (req: Request, res: Response, next: NextFunction, found: Identity | null | typeof ANONYMOUS_PAGE) => {
    if (found === ANONYMOUS_PAGE) {
      // The visitor may be known by the time the page is sent (a route guard or passport.authenticate sets req.user late).
      res.locals.hsIdentity = null;
      carryIdentity(res, null, responder);
    } else if (found) {
      const step = hs.markIdentified(req, res, found);
      res.locals.hsIdentity = step ? step.identity : found;
      dropConditionals(req.headers);
      carryIdentity(res, step ? step.carried : found, responder, step?.setCookie);
    } else {
      res.locals.hsIdentity = null;
      return resetIfMarked(req, res, next);
    }
    next();
  };

  /** A page load whose visitor got no token, under another visitor's marker, still resets the widget. */
  const resetIfMarked = (req: Request, res: Response, next: NextFunction) => {
    const carry = (step: PageStep | undefined) => {
      if (step) carryIdentity(res, step.carried, responder, step.setCookie);
      next();
    };
    const step = hs.markAnonymous(req, res);
    if (isPromise(step)) step.then(carry, next);
    else carry(step);
  };

  return withForget(function hubspotIdentifyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (notExpress(req, res)) return next();
    if (tokenRoute !== false && req.path === tokenRoute && (req.method === 'GET' || req.method === 'HEAD')) {
      hs.tokenRoute(req, res).then(({ status, body }) => {
        res.status(status).set('Cache-Control', 'no-store').json(body);
      }, next);
      return;
    }
    if (!firstPass(req)) return next();
    const found = hs.identifyPage(req, res);
    if (isPromise(found)) found.then((value) => proceed(req, res, next, value), next);
    else proceed(req, res, next, found);
  }, hs);
}

export default hubspotIdentify;
