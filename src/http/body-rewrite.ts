// Rewrites a whole response body as frameworks hold it: a string, bytes, a Node stream or a web stream.
import { pipeline, Readable } from 'node:stream';
import type { Identifier, Identity } from '../identifier.js';

export type Body = string | Buffer | Readable | ReadableStream | unknown;

function isNodeStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

function isWebStream(body: unknown): body is ReadableStream {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

/**
 * The body with the identity's script injected, and whether its length changed to something only
 * the stream knows (`streamed`: drop Content-Length). An injected string comes back as UTF-8 bytes;
 * bodies of other kinds come back as they were.
 */
export function injectBody(core: Identifier<any, any>, body: Body, identity: Identity): { body: Body; streamed: boolean } {
  if (typeof body === 'string') {
    // Encoded here once: frameworks would otherwise measure the new string's UTF-8 length and then
    // encode it again to write it, which costs more than the injection itself on large pages.
    const html = core.inject(body, identity);
    return { body: html === body ? body : Buffer.from(html, 'utf8'), streamed: false };
  }
  if (Buffer.isBuffer(body)) return { body: core.injectBytes(body, identity), streamed: false };
  if (isNodeStream(body) || isWebStream(body)) {
    const source = isWebStream(body) ? Readable.fromWeb(body as import('node:stream/web').ReadableStream) : body;
    // pipeline passes a source error on to the injecting stream, where the framework sees it.
    const injected = pipeline(source, core.injectStream(identity), () => undefined);
    return { body: injected, streamed: true };
  }
  return { body, streamed: false };
}
