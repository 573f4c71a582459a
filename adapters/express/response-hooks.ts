// Express response hooks: the page flow's rules applied to a ServerResponse written through res.send or writeHead/write/end.
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
//
// A page whose identity is still on its way (a cold token, a visitor named late) waits for it when it
// is sent: res.send's body, or the writes of a streamed page, are held (write answers false, so a
// piped source pauses) until the flow decides, within `timeout`, and then go on in order.
import type { ServerResponse } from 'node:http';
import { asBuffer, injectWhole } from '../../src/node/body.js';
import {
  dropValidators,
  filterLaterHeaders,
  isPromise,
  makePrivate,
  setHeaders,
  takeHeaders,
  type ResponseHeaders,
  type StreamingInjector,
  type Verdict,
  type Visit,
} from '../../src/page-flow.js';

type Callback = (error?: Error | null) => void;
type Method = (this: ServerResponse, ...args: unknown[]) => any;
type Hook = (inherited: Method) => Method;

/** A call made while the page waited for its identity, replayed in order once it is decided. */
interface HeldCall {
  method: 'writeHead' | 'write' | 'end';
  args: unknown[];
}

/** What a tracked response carries until it is sent; also its headers, as the flow's rules read them. */
class ResponseState implements ResponseHeaders {
  /** Set once the rules were applied (before the first byte, or by res.send for a whole body). */
  decided = false;
  verdict: Verdict = 'untouched';
  injector?: StreamingInjector;
  /** Calls made while the flow decided (a page waiting for its identity). */
  held?: HeldCall[];

  constructor(
    readonly res: ServerResponse,
    readonly visit: Visit<any, any>,
    readonly own: boolean,
  ) {}

  get(name: string): unknown {
    return this.res.getHeader(name);
  }

  set(name: string, value: string | string[]): void {
    this.res.setHeader(name, value);
  }

  remove(name: string): void {
    this.res.removeHeader(name);
  }

  append(name: string, value: string): void {
    this.res.appendHeader(name, value);
  }

  names(): string[] {
    return this.res.getHeaderNames();
  }

  /**
   * Applies the rules once, for a response written in pieces, with its headers as they now stand;
   * a promise while the page waits for its identity.
   */
  settle(status: number): MaybeSettled {
    if (this.decided) return undefined;
    if (this.res.headersSent) {
      this.decided = true;
      return undefined;
    }
    const verdict = this.visit.respond(status, this);
    if (isPromise(verdict))
      return verdict.then(
        (decided) => this.#take(decided),
        () => this.#take('untouched'),
      );
    this.#take(verdict);
    return undefined;
  }

  #take(verdict: Verdict): void {
    if (this.decided) return;
    this.decided = true;
    this.verdict = verdict;
    if (verdict === 'untouched') return;
    dropValidators(this.res.req.headers);
    if (verdict !== 'inject') return;
    // Written in pieces, the page is counted in now: it misses only when it has no insertion point at all.
    this.visit.deliver(this);
    // Written in pieces, the injected length is known only at the end; HEAD announces what GET sends.
    this.res.removeHeader('Content-Length');
    if (this.res.req?.method !== 'HEAD') this.injector = this.visit.injector();
  }
}

type MaybeSettled = Promise<void> | undefined;

// A response's state rides on the response itself: a WeakMap entry per request cost more to set and to collect.
const STATE = Symbol('hubspot-identify.state');
const hooked = new WeakSet<object>();
const OURS = Symbol.for('hubspot-identify.hook');

function stateOf(res: object): ResponseState | undefined {
  return (res as { [STATE]?: ResponseState })[STATE];
}

/**
 * Whether a call must wait for the flow's decision (the page waits for its identity): if so it is
 * held, and everything held is replayed in order once the flow has decided.
 */
function waits(state: ResponseState, status: number, call: HeldCall): boolean {
  if (state.held) {
    state.held.push(call);
    return true;
  }
  const pending = state.settle(status);
  if (!pending) return false;
  state.held = [call];
  void pending.then(() => {
    const { res } = state;
    const calls = state.held ?? [];
    state.held = undefined;
    for (const { method, args } of calls) (res[method] as Method).apply(res, args);
  });
  return true;
}

// A string page is labelled UTF-8 once it goes out as its UTF-8 bytes, as Express labels the strings it encodes.
const CHARSET = /;\s*charset=(?:"[^"]*"|[^;]*)/i;
const UTF8 = /;\s*charset="?utf-8"?\s*(?:;|$)/i;

/** res.send of a whole body (a string or Buffer): the rules, then the body injected before Express measures it. */
function sendWhole(send: Method, res: ServerResponse, state: ResponseState, verdict: Verdict, body: string | Buffer): unknown {
  state.decided = true;
  state.verdict = verdict;
  if (verdict === 'untouched') return send.call(res, body);
  dropValidators(res.req.headers);
  // No ETag for Express to compute over the whole body (when its etag setting is on): the rules drop it as the headers go out.
  if (
    typeof (res as { app?: { settings?: Record<string, unknown> } }).app?.settings?.['etag fn'] === 'function' &&
    res.getHeader('ETag') === undefined
  ) {
    res.setHeader('ETag', '"hubspot-identify"');
  }
  if (verdict === 'inject') {
    const injected = injectWhole(state.visit, body);
    if (injected.delivered) state.visit.deliver(state);
    if (typeof body === 'string' && injected.body !== body) {
      const type = res.getHeader('Content-Type');
      if (typeof type === 'string' && !UTF8.test(type))
        res.setHeader('Content-Type', CHARSET.test(type) ? type.replace(CHARSET, '; charset=utf-8') : `${type}; charset=utf-8`);
    }
    body = injected.body;
  }
  return send.call(res, body);
}

// res.send (and so res.render) holds the whole body: the rules and the injection come before Express sets Content-Length and ETag.
const sendHook: Hook = (send) =>
  function (this: ServerResponse, body?: unknown) {
    const state = stateOf(this);
    if (!state || state.decided || state.held || (typeof body !== 'string' && !Buffer.isBuffer(body))) return send.call(this, body);
    if (typeof body === 'string' && !this.getHeader('Content-Type')) this.setHeader('Content-Type', 'text/html; charset=utf-8');
    const verdict = state.visit.respond(this.statusCode, state);
    if (!isPromise(verdict)) return sendWhole(send, this, state, verdict, body);
    verdict
      .then(
        (decided) => sendWhole(send, this, state, decided, body),
        () => sendWhole(send, this, state, 'untouched', body),
      )
      .catch((error: unknown) => (this.req as { next?: (error: unknown) => void }).next?.(error));
    return this;
  };

// Headers given to writeHead are set first, so the rules see the final Content-Type and encoding.
const writeHeadHook: Hook = (writeHead) =>
  function (this: ServerResponse, statusCode: unknown, ...rest: unknown[]) {
    const state = stateOf(this);
    if (!state || this.headersSent) return writeHead.call(this, statusCode, ...rest);
    const headers = takeHeaders(rest);
    if (headers) setHeaders(this, headers);
    // Held without its headers, which are on the response now: set again, a list would replace the marker's Set-Cookie.
    const call: HeldCall = { method: 'writeHead', args: [statusCode, ...rest] };
    // Already settled (res.send): the rules ran then; what was set since (a caching middleware's
    // headers, our ETag placeholder) is made private again.
    if (state.decided) {
      if (state.verdict !== 'untouched') makePrivate(state);
      return writeHead.call(this, statusCode, ...rest);
    }
    return waits(state, Number(statusCode), call) ? this : writeHead.call(this, statusCode, ...rest);
  };

/** Splits (chunk?, encoding?, callback?) as Node's write/end accept them. */
function parseArgs(args: unknown[]): { chunk: unknown; encoding: unknown; callback: Callback | undefined } {
  const rest = [...args];
  const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as Callback) : undefined;
  return { chunk: rest[0], encoding: rest[1], callback };
}

function toBytes(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return asBuffer(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/** The write/end hooks, injecting HTML on the fly; only the layer the state names (`own`) works. */
function bodyHooks(own: boolean): Record<'write' | 'end', Hook> {
  const mine = (state: ResponseState | undefined): state is ResponseState => state !== undefined && state.own === own;
  return {
    write: (write) =>
      function (this: ServerResponse, ...args: unknown[]) {
        const state = stateOf(this);
        if (!mine(state)) return write.apply(this, args);
        // Held writes claim no backpressure: a 'drain' emitted on res would not reach a pipe whose listener
        // compression() moved onto its own stream, and the page would never finish. The hold ends within `timeout`.
        if (waits(state, this.statusCode, { method: 'write', args })) return true;
        const injector = state.injector;
        if (!injector) return write.apply(this, args);
        const { chunk, encoding, callback } = parseArgs(args);
        const pieces = injector.push(toBytes(chunk, encoding));
        if (pieces.length === 0) return write.call(this, Buffer.alloc(0), callback);
        let ok = true;
        pieces.forEach((piece, i) => {
          ok = i === pieces.length - 1 ? write.call(this, asBuffer(piece), callback) : write.call(this, asBuffer(piece));
        });
        return ok;
      },

    end: (end) =>
      function (this: ServerResponse, ...args: unknown[]) {
        const state = stateOf(this);
        if (!mine(state)) return end.apply(this, args);
        if (waits(state, this.statusCode, { method: 'end', args })) return this;
        const injector = state.injector;
        if (!injector) return end.apply(this, args);
        const { chunk, encoding, callback } = parseArgs(args);
        state.injector = undefined;
        const pieces = chunk === undefined || chunk === null || typeof chunk === 'function' ? [] : injector.push(toBytes(chunk, encoding));
        pieces.push(...injector.end());
        state.visit.noteOutcome(injector.outcome, injector.metaPolicies);
        // The injector is cleared, so our write hook passes these already-injected pieces straight on.
        for (const piece of pieces.slice(0, -1)) this.write(asBuffer(piece));
        const last = pieces[pieces.length - 1];
        return last ? end.call(this, asBuffer(last), callback) : end.call(this, callback);
      },
  };
}

const prototypeHooks: Record<string, Hook> = { writeHead: writeHeadHook, ...bodyHooks(false), send: sendHook };
const ownHooks = bodyHooks(true);

/** The prototype every app's responses inherit: the one holding Express's `send`, else the response's own. */
function sharedPrototype(res: object): Record<string | symbol, unknown> {
  for (let proto = Object.getPrototypeOf(res); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'send')) return proto;
  }
  return Object.getPrototypeOf(res);
}

/** Installs the hooks on the shared prototype, once; a response whose prototype was seen costs one lookup. */
function hookPrototype(res: object): void {
  const direct = Object.getPrototypeOf(res) as object;
  if (hooked.has(direct)) return;
  hooked.add(direct);
  const proto = sharedPrototype(res);
  for (const [name, wrap] of Object.entries(prototypeHooks)) {
    const inherited = proto[name] as Method & { [OURS]?: true };
    if (typeof inherited !== 'function' || inherited[OURS]) continue;
    const hook = wrap(inherited) as Method & { [OURS]?: true };
    hook[OURS] = true;
    proto[name] = hook;
  }
}

/**
 * Makes `res` follow the visit's rules as it goes out: decided before its headers go out, the script
 * injected into HTML written through res.send or write/end. A response that carries a visit already
 * (a parent and a mounted app both use the middleware) keeps its first.
 */
export function track(res: ServerResponse, visit: Visit<any, any>): void {
  if (stateOf(res)) return;
  const own = Object.hasOwn(res, 'write') || Object.hasOwn(res, 'end');
  const state = new ResponseState(res, visit, own);
  (res as { [STATE]?: ResponseState })[STATE] = state;
  hookPrototype(res);
  const target = res as unknown as Record<'writeHead' | 'write' | 'end', Method>;
  if (Object.hasOwn(res, 'writeHead')) {
    // Wrapped before us (on-headers, compression): ours runs first, so its listeners, which run after
    // our check, are held to the private rules as they set headers.
    target.writeHead = writeHeadHook(target.writeHead);
    filterLaterHeaders(res, () => state.decided && state.verdict !== 'untouched');
  }
  if (own) {
    target.write = ownHooks.write(target.write);
    target.end = ownHooks.end(target.end);
  }
}
