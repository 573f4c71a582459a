// Express response hooks: the rules for an identified response, applied to a ServerResponse written through writeHead/write/end and res.send.
//
// The hooks are installed once on the prototype that holds Express's res.send, which every app's
// response prototype inherits, not on every response: on an Express response, whose prototype
// Express has swapped, each method assigned per request cost 3-5 µs, more than the rest of a cache
// hit. Not on one app's prototype either: Express swaps a response's prototype for a mounted
// sub-app's and back to the parent's, so a page the parent sends would bypass them. Responses carry
// their state under a symbol; one without state passes straight through. Where something replaced a
// response's writeHead/write/end before us (compression, on-headers), ours also go on the response
// itself: the page is injected before it is compressed, and made private even on the first request,
// whose wrappers captured the methods before the prototype was hooked.
import type { ServerResponse } from 'node:http';
import type { Identity } from '../../src/identifier.js';
import type { StreamingInjector } from '../../src/html/inject-stream.js';
import type { PageStep, RequestIdentifier, Verdict } from '../../src/http/request-identifier.js';
import { makePrivate, statusTakesScript, type HeaderAccess } from '../../src/http/response-policy.js';
import { isHtml } from '../../src/http/page-load.js';
import { dropConditionals } from '../../src/http/cache-headers.js';
import { filterLaterHeaders, setHeaders, takeHeaders } from '../../src/http/write-head.js';
import { carriesMarker } from '../../src/http/logout-marker.js';
import { isPromise, type MaybePromise } from '../../src/maybe-promise.js';

type Callback = (error?: Error | null) => void;
type Method = (this: ServerResponse, ...args: unknown[]) => any;
export type Hook = (inherited: Method) => Method;

/** What the hooks need from the adapter, made once per middleware. */
export interface Responder {
  hs: RequestIdentifier<any, any>;
  compressionHint: string;
  /** The prototype hooks with the adapter's own (Express's res.send), from withPrototypeHooks. */
  hooks: Record<string, Hook>;
}

/**
 * What a tracked response carries until it is sent; also its headers, as the shared rules read them.
 * `identity` is what it carries (the visitor's identity, or the logout reset script); null with
 * `late` for a page load that was anonymous when the middleware ran (late authentication).
 */
export class ResponseState implements HeaderAccess {
  /** Set once the rules were applied (before the first byte, or by res.send for a whole body). */
  decided = false;
  verdict: Verdict = 'untouched';
  injector?: StreamingInjector;
  late: boolean;

  constructor(
    readonly res: ServerResponse, readonly responder: Responder, public identity: Identity | null, readonly own: boolean, public setCookie?: string,
  ) {
    this.late = identity === null;
  }

  /**
   * Late authentication: whether a response about to go out anonymous is a page worth identifying
   * now (HTML of 200 or an error page), and if so the visitor as known now. Resolves once.
   */
  identifyLate(status: number): MaybePromise<void> {
    if (!this.late) return;
    this.late = false;
    if (!statusTakesScript(status) || !isHtml(this.res.getHeader('Content-Type'))) return;
    const { hs } = this.responder;
    const step = hs.identifyLate(this.res.req, this.res);
    return isPromise(step) ? step.then((found) => this.adopt(found)) : this.adopt(step);
  }

  private adopt(step: PageStep | undefined): void {
    if (!step) return;
    this.identity = step.carried;
    this.setCookie = step.setCookie;
    if (step.identity) {
      (this.res as ServerResponse & { locals?: Record<string, unknown> }).locals!['hsIdentity'] = step.identity;
      dropConditionals(this.res.req.headers);
    }
  }

  get(name: string): unknown {
    return this.res.getHeader(name);
  }

  set(name: string, value: string | string[]): void {
    this.res.setHeader(name, value);
  }

  remove(name: string): void {
    this.res.removeHeader(name);
  }

  /** Appends the logout marker's Set-Cookie, which stands for the script on this page; once, whichever middleware instance asks. */
  deliverMarker(): void {
    if (this.setCookie && !carriesMarker(this.res.getHeader('Set-Cookie'))) this.res.appendHeader('Set-Cookie', this.setCookie);
  }

  /** Applies the rules once, with the headers as they now stand. A whole body (res.send) is injected by the caller. */
  settle(status: number, whole: boolean): Verdict {
    if (this.decided) return this.verdict;
    this.decided = true;
    if (this.res.headersSent) return this.verdict;
    // Written through writeHead/write/end, a late visitor is identified only from the cache: holding raw writes is not ours to do.
    const late = this.identifyLate(status);
    if (isPromise(late)) late.catch(() => undefined);
    if (this.identity === null) return this.verdict;
    const { hs, compressionHint } = this.responder;
    this.verdict = hs.respond(this.identity, status, this, compressionHint);
    // A whole body (res.send) says whether it took the script once injected: the marker waits for that.
    if (this.verdict !== 'inject' || whole) return this.verdict;
    // Written in pieces, the page is counted in now: it misses only when it has no insertion point at all.
    this.deliverMarker();
    // Written in pieces, the injected length is known only at the end; HEAD announces what GET sends.
    this.res.removeHeader('Content-Length');
    if (this.res.req?.method !== 'HEAD') this.injector = hs.core.createInjector(this.identity);
    return this.verdict;
  }
}

// A response's state rides on the response itself: a WeakMap entry per request cost more to set and to collect.
const STATE = Symbol('hubspot-identify.state');
const hooked = new WeakSet<object>();
const OURS = Symbol.for('hubspot-identify.hook');

/** The state of an identified response; undefined for any other. */
export function stateOf(res: object): ResponseState | undefined {
  return (res as { [STATE]?: ResponseState })[STATE];
}

/** The prototype every app's responses inherit: the one holding Express's `send`, else the response's own. */
function sharedPrototype(res: object): Record<string | symbol, unknown> {
  for (let proto = Object.getPrototypeOf(res); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'send')) return proto;
  }
  return Object.getPrototypeOf(res);
}

/** Installs the hooks on the shared prototype, once; a response whose prototype was seen costs one lookup. */
function hookPrototype(res: object, hooks: Record<string, Hook>): void {
  const direct = Object.getPrototypeOf(res) as object;
  if (hooked.has(direct)) return;
  hooked.add(direct);
  const proto = sharedPrototype(res);
  for (const [name, wrap] of Object.entries(hooks)) {
    const inherited = proto[name] as Method & { [OURS]?: true };
    if (typeof inherited !== 'function' || inherited[OURS]) continue;
    const hook = wrap(inherited) as Method & { [OURS]?: true };
    hook[OURS] = true;
    proto[name] = hook;
  }
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/** Splits (chunk?, encoding?, callback?) as Node's write/end accept them. */
function parseArgs(args: unknown[]): { chunk: unknown; encoding: unknown; callback: Callback | undefined } {
  const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
  return { chunk: args[0], encoding: args[1], callback };
}

// Headers given to writeHead are set first, so the rules see the final Content-Type and encoding.
const writeHeadHook: Hook = (writeHead) => function (this: ServerResponse, statusCode: unknown, ...rest: unknown[]) {
  const state = stateOf(this);
  if (!state || this.headersSent) return writeHead.call(this, statusCode, ...rest);
  const headers = takeHeaders(rest);
  if (headers) setHeaders(this, headers);
  // Already settled (res.send): the rules ran then; what was set since (Express's ETag, computed in
  // send after them; a caching middleware's headers) is made private again.
  if (state.decided) {
    if (state.verdict !== 'untouched') makePrivate(state);
  } else {
    state.settle(Number(statusCode), false);
  }
  return writeHead.call(this, statusCode, ...rest);
};

/** The write/end hooks, injecting HTML on the fly; only the layer the state names (`own`) works. */
function bodyHooks(own: boolean): Record<'write' | 'end', Hook> {
  const mine = (state: ResponseState | undefined): state is ResponseState => state !== undefined && state.own === own;
  return {
    write: (write) => function (this: ServerResponse, ...args: unknown[]) {
      const state = stateOf(this);
      if (!mine(state)) return write.apply(this, args);
      state.settle(this.statusCode, false);
      const injector = state.injector;
      if (!injector) return write.apply(this, args);
      const { chunk, encoding, callback } = parseArgs(args);
      const pieces = injector.push(toBuffer(chunk, encoding));
      if (pieces.length === 0) return write.call(this, Buffer.alloc(0), callback);
      let ok = true;
      pieces.forEach((piece, i) => {
        ok = i === pieces.length - 1 ? write.call(this, piece, callback) : write.call(this, piece);
      });
      return ok;
    },

    end: (end) => function (this: ServerResponse, ...args: unknown[]) {
      const state = stateOf(this);
      if (!mine(state)) return end.apply(this, args);
      state.settle(this.statusCode, false);
      const injector = state.injector;
      if (!injector) return end.apply(this, args);
      const { chunk, encoding, callback } = parseArgs(args);
      state.injector = undefined;
      const pieces = chunk === undefined || chunk === null ? [] : injector.push(toBuffer(chunk, encoding));
      pieces.push(...injector.end());
      state.responder.hs.core.noteOutcome(injector.outcome);
      // The injector is cleared, so our write hook passes these already-injected pieces straight on.
      for (const piece of pieces.slice(0, -1)) this.write(piece);
      const last = pieces[pieces.length - 1];
      return last ? end.call(this, last, callback) : end.call(this, callback);
    },
  };
}

const prototypeHooks: Record<string, Hook> = { writeHead: writeHeadHook, ...bodyHooks(false) };
const ownHooks = bodyHooks(true);

/** The hooks to install on the shared prototype: ours and the adapter's own (Express's res.send). */
export function withPrototypeHooks(extra: Record<string, Hook>): Record<string, Hook> {
  return { ...prototypeHooks, ...extra };
}

/**
 * Makes `res` carry the identity (or the logout reset script), with the logout marker's Set-Cookie
 * when there is one: the shared rules applied before its headers go out, and the script injected
 * into HTML written through write/end. A null identity is a page load still anonymous, identified
 * when it is sent if its visitor is known by then. A response that carries one already (both a
 * parent and a mounted app use the middleware) keeps its first.
 */
export function carryIdentity(res: ServerResponse, identity: Identity | null, responder: Responder, setCookie?: string): void {
  if (stateOf(res)) return;
  const own = Object.hasOwn(res, 'write') || Object.hasOwn(res, 'end');
  (res as { [STATE]?: ResponseState })[STATE] = new ResponseState(res, responder, identity, own, setCookie);
  hookPrototype(res, responder.hooks);
  const target = res as unknown as Record<'writeHead' | 'write' | 'end', Method>;
  if (Object.hasOwn(res, 'writeHead')) {
    // Wrapped before us (on-headers, compression): ours runs first, so its listeners, which run after
    // our check, are held to the private rules as they set headers.
    target.writeHead = writeHeadHook(target.writeHead);
    const state = stateOf(res)!;
    filterLaterHeaders(res, () => state.decided && state.verdict !== 'untouched');
  }
  if (own) {
    target.write = ownHooks.write(target.write);
    target.end = ownHooks.end(target.end);
  }
}
