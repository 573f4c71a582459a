// hubspot-identify/express: the Express 5 middleware, translating Express's req/res to the page flow.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  assertCalledAsFactory,
  createPageFlow,
  dropValidators,
  HubSpotIdentifyError,
  withForget,
  type Forgets,
  type FrameworkFacts,
  type HubSpotIdentifyOptions,
  type Identity,
  type PageFlow,
  type TokenRouteAnswer,
} from '../../src/page-flow.js';
import { track } from './response-hooks.js';

export {
  HubSpotIdentifyError,
  isHubSpotIdentifyError,
  type HubSpotIdentifyErrorCode,
  type HubSpotIdentifyOptions,
  type Identity,
} from '../../src/page-flow.js';

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

const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

const facts: FrameworkFacts<Request, Response> = {
  user: (req) => (req as Request & { user?: unknown }).user,
  method: (req) => req.method,
  path: (req) => req.path,
  header,
  host: (req) => req.get('host'),
  nonce: (_req, res) => (res.locals as Record<string, unknown>)['cspNonce'],
  secure: (req) => req.secure,
  // No TLS and nothing a trusted proxy could say: http, without Express's trust-proxy look-up.
  plainHttp: (req) =>
    !(req.socket as { encrypted?: boolean }).encrypted &&
    req.headers['x-forwarded-proto'] === undefined &&
    req.headers.forwarded === undefined,
  show: (_req, res, identity) => {
    res.locals.hsIdentity = identity;
  },
};

/**
 * Says once that the middleware got bare Node req/res, not Express's (no `req.app`, no `res.locals`):
 * NestJS on Fastify passes them through middie to `app.use`. The request goes on untouched.
 */
function wrongFrameworkCheck(flow: PageFlow<Request, Response>): (req: Request, res: Response) => boolean {
  let said = false;
  return (req, res) => {
    if (req.app !== undefined || res.locals !== undefined) return false;
    if (!said) {
      said = true;
      flow.core.report(
        new HubSpotIdentifyError(
          'HSI_INVALID_OPTION',
          "hubspot-identify/express got a request that is not Express's (no req.app or res.locals): this looks like a Fastify app, e.g. NestJS on @nestjs/platform-fastify. Import hubspot-identify/fastify and register the plugin instead: await app.register(hubspotIdentify, options).",
        ),
      );
    }
    return true;
  };
}

function sendTokenRoute(req: Request, res: Response, answer: TokenRouteAnswer): void {
  res
    .status(answer.status)
    .set(answer.headers)
    .set('Content-Length', String(Buffer.byteLength(answer.body)));
  if (answer.setCookie) res.append('Set-Cookie', answer.setCookie);
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

/** Express middleware: identifies the visitor, exposes `res.locals.hsIdentity`, injects the script into HTML. */
export function hubspotIdentify(options?: ExpressOptions): RequestHandler & Forgets {
  assertCalledAsFactory(arguments.length, 'app.use(hubspotIdentify(options))');
  const flow = createPageFlow(options, facts, COMPRESSION_HINT);
  const notExpress = wrongFrameworkCheck(flow);

  return withForget(function hubspotIdentifyMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (notExpress(req, res)) return next();
    if (flow.isTokenRoute(req)) {
      flow.tokenRoute(req).then((answer) => sendTokenRoute(req, res, answer), next);
      return;
    }
    const visit = flow.visit(req, res);
    if (!visit) return next();
    if (visit.dropsValidators) dropValidators(req.headers);
    track(res, visit);
    if (visit.ready) visit.ready.then(() => next(), next);
    else next();
  }, flow);
}

export default hubspotIdentify;
