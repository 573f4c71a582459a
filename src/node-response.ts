// Injection into a Node ServerResponse written chunk by chunk (res.write/res.end), for adapters that expose one.
import type { ServerResponse } from 'node:http';
import type { Identifier, Identity } from './identifier.js';
import type { StreamingInjector } from './html-stream.js';
import { privateCacheControl } from './request.js';

type Callback = (error?: Error | null) => void;

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

export interface ResponseHooks {
  /** Whether the body, as its headers now stand, is to be rewritten. Asked once, before the first byte. */
  shouldRewrite(res: ServerResponse): boolean;
  /** Set once a whole body was rewritten elsewhere (e.g. res.send), so the raw path leaves it alone. */
  handled: { value: boolean };
}

/**
 * Makes `res` carry the identity: Cache-Control private when headers go out, and the script injected
 * into HTML written through res.write/res.end, on the fly.
 */
export function interceptResponse(res: ServerResponse, core: Identifier<any, any>, identity: Identity, hooks: ResponseHooks): void {
  type Raw = (this: ServerResponse, ...args: unknown[]) => any;
  const writeHead = res.writeHead as Raw;
  const write = res.write as Raw;
  const end = res.end as Raw;
  let injector: StreamingInjector | undefined;
  let decided = false;

  const decide = () => {
    if (decided) return;
    decided = true;
    if (hooks.handled.value || res.headersSent || !hooks.shouldRewrite(res)) return;
    // No body goes out for these: leave their headers (Content-Length included) as the app set them.
    if (res.req?.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return;
    injector = core.createInjector(identity);
    res.removeHeader('Content-Length');
  };

  // Headers given to writeHead are set first, so the decision sees the final Content-Type and encoding.
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    const headers = rest.length > 0 && typeof rest[rest.length - 1] === 'object' ? rest.pop() : undefined;
    if (!res.headersSent) {
      if (Array.isArray(headers)) {
        const pairs = Array.isArray(headers[0]) ? headers : headers.flatMap((_, i) => (i % 2 ? [] : [[headers[i], headers[i + 1]]]));
        for (const [name, value] of pairs as [string, string][]) res.setHeader(name, value);
      } else if (headers) {
        for (const [name, value] of Object.entries(headers as Record<string, string>)) res.setHeader(name, value);
      }
      res.setHeader('Cache-Control', privateCacheControl(res.getHeader('Cache-Control')));
      decide();
    }
    return writeHead.call(this, statusCode, ...rest);
  } as ServerResponse['writeHead'];

  res.write = function (this: ServerResponse, ...args: unknown[]) {
    decide();
    if (!injector) return write.apply(this, args);
    const { chunk, encoding, callback } = parseArgs(args);
    const pieces = injector.push(toBuffer(chunk, encoding));
    let ok = true;
    if (pieces.length === 0) return write.call(this, Buffer.alloc(0), callback);
    pieces.forEach((piece, i) => {
      ok = i === pieces.length - 1 ? write.call(this, piece, callback) : write.call(this, piece);
    });
    return ok;
  } as ServerResponse['write'];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    decide();
    if (!injector) return end.apply(this, args);
    const { chunk, encoding, callback } = parseArgs(args);
    const active = injector;
    injector = undefined;
    const pieces = chunk === undefined || chunk === null ? [] : active.push(toBuffer(chunk, encoding));
    pieces.push(...active.end());
    core.noteOutcome(active.outcome);
    for (const piece of pieces.slice(0, -1)) write.call(this, piece);
    const last = pieces[pieces.length - 1];
    return last ? end.call(this, last, callback) : end.call(this, callback);
  } as ServerResponse['end'];
}
