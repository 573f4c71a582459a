// Rewrites a response body as Node frameworks hold it (Express's res.send, Koa's ctx.body, Fastify's payload): a string, bytes, a Node or web stream, a Response or Blob.
import { pipeline, Readable } from 'node:stream';
import { injectIntoBytes, injectIntoHtmlAsBytes, type InjectOutcome, type Tag } from '../html/inject.js';
import { createInjectingStream } from './inject-stream.js';

/** What the page flow's Visit gives a body rewrite. */
export interface Injecting {
  /** The script element to inject. */
  readonly tag: string;
  /** The same as the parts a whole body is injected with. */
  readonly tagParts: Tag;
  /** Says once when the page had nowhere to inject; whether the page takes the script. */
  noteOutcome(outcome: InjectOutcome | undefined, metaPolicies?: readonly string[]): boolean;
}

/** What injecting a body did. */
export interface Rewritten {
  body: unknown;
  /** Drop Content-Length: the injected length is known only at the stream's end. */
  streamed: boolean;
  /**
   * Whether the page carries the script (injected, or printed by the template): only then may the
   * logout marker's Set-Cookie go out. A stream is counted in at header time, before its outcome is
   * known: it misses only when it has no insertion point at all.
   */
  delivered: boolean;
}

/** The bytes as a Buffer, without a copy: Node frameworks send Buffers, not other Uint8Arrays. */
export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * A whole body (string or bytes) with the script injected, as bytes: a string page is encoded once,
 * as UTF-8, straight into the injected buffer (frameworks would otherwise measure the new string's
 * length and encode it again to write it, which costs more than the injection itself). The very same
 * body when nothing was injected; and whether the page takes the script.
 */
export function injectWhole(visit: Injecting, body: string | Uint8Array): { body: string | Buffer; delivered: boolean } {
  const result = typeof body === 'string' ? injectIntoHtmlAsBytes(body, visit.tagParts) : injectIntoBytes(body, visit.tagParts);
  const delivered = visit.noteOutcome(result.outcome, result.metaPolicies);
  if (result.outcome !== 'injected') return { body: typeof body === 'string' ? body : asBuffer(body), delivered };
  return { body: asBuffer(result.body), delivered };
}

const isNodeStream = (body: unknown): body is Readable =>
  typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
const isWebStream = (body: unknown): body is ReadableStream => typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;

/** A web Response, from this realm's fetch or another's (as Fastify tells one). */
export function isWebResponse(body: unknown): body is Response {
  return typeof body === 'object' && body !== null && Object.prototype.toString.call(body) === '[object Response]';
}

/** The stream a web Response or Blob body (Koa 3 takes both) sends; the body itself for any other. */
function streamOf(body: unknown): unknown {
  if (isWebResponse(body)) return body.body !== null && !body.bodyUsed ? body.body : body;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.stream();
  return body;
}

/**
 * The body with the script injected (see Rewritten); a web Response or Blob is injected as its stream.
 * Bodies of other kinds come back as they were, undelivered.
 */
export function injectBody(visit: Injecting, body: unknown): Rewritten {
  if (typeof body === 'string' || body instanceof Uint8Array) return { ...injectWhole(visit, body), streamed: false };
  // The framework has already taken a Response's status and headers (Koa 3) or takes them apart (Fastify).
  const stream = streamOf(body);
  if (isNodeStream(stream) || isWebStream(stream)) {
    const source = isWebStream(stream) ? Readable.fromWeb(stream as import('node:stream/web').ReadableStream) : stream;
    // pipeline passes a source error on to the injecting stream, where the framework sees it.
    const injected = pipeline(
      source,
      createInjectingStream(visit.tag, (outcome, metaPolicies) => visit.noteOutcome(outcome, metaPolicies)),
      () => undefined,
    );
    return { body: injected, streamed: true, delivered: true };
  }
  return { body, streamed: false, delivered: false };
}
