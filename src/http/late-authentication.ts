// Late authentication: a route-level auth step sets the user after the middleware ran; those page loads look again when sent.
//
// Koa router middleware, a Fastify route preHandler, NestJS guards and Hono route middleware all run
// after an app-level middleware, so the visitor is unknown when it first asks. The adapters ask again
// when the page is about to go out (Koa and Hono after `await next()`, Fastify in onSend), but only
// for page loads whose visitor was absent at the first look: a visitor whose identification failed
// or timed out is not asked (or waited for) twice.
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { HubSpotIdentifyOptions, VisitorInput } from '../options.js';
import type { FrameworkBinding } from './request-identifier.js';

export interface LateAuthentication<Req, Res> {
  /** The options to create the request identifier with: the visitor resolver watched. */
  readonly options: HubSpotIdentifyOptions<Req, Res> | undefined;
  /** The binding to create it with: the default visitor (the framework's user) watched. */
  readonly binding: FrameworkBinding<Req, Res>;
  /** Whether the visitor was absent at one of this request's looks: only such page loads look again, once. */
  wasAnonymous(req: Req): boolean;
}

const absent = (input: VisitorInput) => input === null || input === undefined || input === '';

/** Watches the visitor resolver (the user's, or the framework's default) to remember which requests it found anonymous. */
export function watchForLateAuthentication<Req, Res>(
  options: HubSpotIdentifyOptions<Req, Res> | undefined,
  binding: FrameworkBinding<Req, Res>,
): LateAuthentication<Req, Res> {
  const anonymous = new WeakSet<object>();
  const note = (req: Req, input: VisitorInput): VisitorInput => {
    if (absent(input)) anonymous.add(req as object);
    return input;
  };
  const watched = (resolve: (req: Req) => unknown) => (req: Req): MaybePromise<VisitorInput> => {
    const input = resolve(req) as MaybePromise<VisitorInput>;
    return isPromise(input) ? input.then((value) => note(req, value)) : note(req, input);
  };
  // A visitor option that is not a function is left for the option checks to name.
  const custom = options?.visitor;
  return typeof custom === 'function'
    ? { options: { ...options, visitor: watched(custom) }, binding, wasAnonymous: (req) => anonymous.has(req as object) }
    : { options, binding: { ...binding, user: watched(binding.user) }, wasAnonymous: (req) => anonymous.has(req as object) };
}
