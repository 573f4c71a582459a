// Express response hooks: injection into a ServerResponse written through writeHead/write/end and res.send.
//
// The hooks are installed once on the response prototype the app uses (Express gives each app its
// own, and mounted apps inherit from their parent's), not on every response: on an Express response,
// whose prototype Express has swapped, each method assigned per request cost 3-5 µs, more than the
// rest of a cache hit. Responses carry their state in a WeakMap; one without state passes straight
// through. Where something replaced a response's write/end before us (compression), ours go on the
// response itself, so that the page is injected before it is compressed.
import type { ServerResponse } from 'node:http';
import type { Identifier, Identity } from '../../src/identifier.js';
import type { StreamingInjector } from '../../src/html/inject-stream.js';
import { privateCacheControl } from '../../src/http/cache-headers.js';

type Callback = (error?: Error | null) => void;
type Method = (this: ServerResponse, ...args: unknown[]) => any;
export type Hook = (inherited: Method) => Method;

/** What an identified response carries until it is sent. */
export interface ResponseState {
  core: Identifier<any, any>;
  identity: Identity;
  /** Whether the body, as its headers now stand, is to be rewritten. Asked once, before the first byte. */
  shouldRewrite(res: ServerResponse): boolean;
  /** Set once a whole body was rewritten elsewhere (Express's res.send), so the raw path leaves it alone. */
  handled: boolean;
  decided: boolean;
  /** Whether the write/end hooks sit on the response itself (see bodyHooks). */
  own: boolean;
  injector?: StreamingInjector;
}

const states = new WeakMap<object, ResponseState>();
const hooked = new WeakSet<object>();
const OURS = Symbol.for('hubspot-identify.hook');

/** The state of an identified response; undefined for any other. */
export function stateOf(res: object): ResponseState | undefined {
  return states.get(res);
}

/** Installs the hooks on the prototype of `res`, once; a prototype that inherits them already is left alone. */
function hookPrototype(res: object, hooks: Record<string, Hook>): void {
  const proto = Object.getPrototypeOf(res) as Record<string | symbol, unknown>;
  if (hooked.has(proto)) return;
  hooked.add(proto);
  for (const [name, wrap] of Object.entries(hooks)) {
    const inherited = proto[name] as Method & { [OURS]?: true };
    if (inherited[OURS]) continue;
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

function decide(res: ServerResponse, state: ResponseState): void {
  if (state.decided) return;
  state.decided = true;
  if (state.handled || res.headersSent || !state.shouldRewrite(res)) return;
  // No body goes out for these: leave their headers (Content-Length included) as the app set them.
  if (res.req?.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return;
  state.injector = state.core.createInjector(state.identity);
  res.removeHeader('Content-Length');
}

// Headers given to writeHead are set first, so the decision sees the final Content-Type and encoding.
const writeHeadHook: Hook = (writeHead) => function (this: ServerResponse, statusCode: unknown, ...rest: unknown[]) {
  const state = states.get(this);
  if (!state || this.headersSent) return writeHead.call(this, statusCode, ...rest);
  const headers = rest.length > 0 && typeof rest[rest.length - 1] === 'object' ? rest.pop() : undefined;
  if (Array.isArray(headers)) {
    const pairs = Array.isArray(headers[0]) ? headers : headers.flatMap((_, i) => (i % 2 ? [] : [[headers[i], headers[i + 1]]]));
    for (const [name, value] of pairs as [string, string][]) this.setHeader(name, value);
  } else if (headers) {
    for (const [name, value] of Object.entries(headers as Record<string, string>)) this.setHeader(name, value);
  }
  this.setHeader('Cache-Control', privateCacheControl(this.getHeader('Cache-Control')));
  decide(this, state);
  return writeHead.call(this, statusCode, ...rest);
};

/** The write/end hooks, injecting HTML on the fly; only the layer the state names (`own`) works. */
function bodyHooks(own: boolean): Record<'write' | 'end', Hook> {
  const mine = (state: ResponseState | undefined): state is ResponseState => state !== undefined && state.own === own;
  return {
    write: (write) => function (this: ServerResponse, ...args: unknown[]) {
      const state = states.get(this);
      if (!mine(state)) return write.apply(this, args);
      decide(this, state);
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
      const state = states.get(this);
      if (!mine(state)) return end.apply(this, args);
      decide(this, state);
      const injector = state.injector;
      if (!injector) return end.apply(this, args);
      const { chunk, encoding, callback } = parseArgs(args);
      state.injector = undefined;
      const pieces = chunk === undefined || chunk === null ? [] : injector.push(toBuffer(chunk, encoding));
      pieces.push(...injector.end());
      state.core.noteOutcome(injector.outcome);
      // The injector is cleared, so our write hook passes these already-injected pieces straight on.
      for (const piece of pieces.slice(0, -1)) this.write(piece);
      const last = pieces[pieces.length - 1];
      return last ? end.call(this, last, callback) : end.call(this, callback);
    },
  };
}

const prototypeHooks: Record<string, Hook> = { writeHead: writeHeadHook, ...bodyHooks(false) };
const ownHooks = bodyHooks(true);

/**
 * Makes `res` carry the identity: Cache-Control private when headers go out, and the script injected
 * into HTML written through write/end. `extraHooks` are the adapter's own (Express's res.send).
 */
export function carryIdentity(res: ServerResponse, state: Pick<ResponseState, 'core' | 'identity' | 'shouldRewrite'>, extraHooks: Record<string, Hook> = {}): void {
  const own = Object.hasOwn(res, 'write') || Object.hasOwn(res, 'end');
  states.set(res, { core: state.core, identity: state.identity, shouldRewrite: state.shouldRewrite, handled: false, decided: false, own });
  hookPrototype(res, { ...prototypeHooks, ...extraHooks });
  if (own) {
    const target = res as unknown as Record<'write' | 'end', Method>;
    target.write = ownHooks.write(target.write);
    target.end = ownHooks.end(target.end);
  }
}
