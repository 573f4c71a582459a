// Rewrites a whole response body as frameworks hold it: a string, bytes, a Node stream or a web stream.
import { pipeline, Readable } from 'node:stream';
import type { Identifier, Identity } from '../identifier.js';
import { injectIntoBytes, injectIntoHtmlAsBytes } from '../html/inject.js';

export type Body = string | Buffer | Readable | ReadableStream | unknown;

function isNodeStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

function isWebStream(body: unknown): body is ReadableStream {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

/** A web Response, from this realm's fetch or another's (as Fastify tells one). */
export function isWebResponse(body: unknown): body is Response {
  return typeof body === 'object' && body !== null && Object.prototype.toString.call(body) === '[object Response]';
}

/** The stream a web Response or Blob body (Koa 3 takes both) sends; the body itself for any other. */
function streamOf(body: Body): Body {
  if (isWebResponse(body)) return body.body !== null && !body.bodyUsed ? body.body : body;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.stream();
  return body;
}

/** What injecting a body did: the new body, whether its length is now known only to the stream, and whether the script is on the page. */
export interface Rewritten {
  body: Body;
  /** Drop Content-Length: the injected length is known only at the stream's end. */
  streamed: boolean;
  /**
   * Whether the page carries the script (injected, or printed by the template): only then may the
   * logout marker's Set-Cookie go out. A stream is counted in at header time, before its outcome is
   * known: it misses only when it has no insertion point at all.
   */
  delivered: boolean;
}

/**
 * A whole body (string or bytes) with the script injected, as bytes: a string page is encoded once
 * here, as UTF-8, straight into the injected buffer (frameworks would otherwise measure the new
 * string's length and encode it again to write it, which costs more than the injection itself).
 * The very same body when nothing was injected; and whether the script is on the page.
 */
export function injectWhole(core: Identifier<any, any>, body: string | Buffer, identity: Identity): { body: string | Buffer; delivered: boolean } {
  const result = typeof body === 'string' ? injectIntoHtmlAsBytes(body, identity.scriptTag) : injectIntoBytes(body, identity.scriptTag);
  core.noteOutcome(result.outcome);
  const bytes = result.body;
  const injected = result.outcome !== 'injected' ? body : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { body: injected, delivered: result.outcome !== 'no-insertion-point' };
}

/**
 * The body with the identity's script injected (see Rewritten); a web Response or Blob is injected as
 * its stream. Bodies of other kinds come back as they were, undelivered.
 */
export function injectBody(core: Identifier<any, any>, body: Body, identity: Identity): Rewritten {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { ...injectWhole(core, body, identity), streamed: false };
  // The framework has already taken a Response's status and headers (Koa 3) or takes them apart (Fastify).
  body = streamOf(body);
  if (isNodeStream(body) || isWebStream(body)) {
    const source = isWebStream(body) ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : body;
    // pipeline passes a source error on to the injecting stream, where the framework sees it.
    const injected = pipeline(source, core.injectStream(identity), () => undefined);
    return { body: injected, streamed: true, delivered: true };
  }
  return { body, streamed: false, delivered: false };
}
