// The Node Transform that injects the script into streamed HTML: html/'s byte injector, with the Buffers Node streams carry.
import { Transform, type TransformCallback } from 'node:stream';
import type { InjectOutcome } from '../html/inject.js';
import { StreamingInjector } from '../html/inject-stream.js';

/** The same bytes as a Buffer, without a copy. */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * A Transform that injects `tag` into the HTML flowing through it, then reports the outcome once it is
 * known, with the page's `<meta>` Content-Security-Policy values before the insertion point, if any.
 */
export function createInjectingStream(tag: string, onOutcome?: (outcome: InjectOutcome, metaPolicies?: string[]) => void): Transform {
  const injector = new StreamingInjector(tag);
  let reported = false;
  const report = () => {
    if (!reported && injector.outcome) {
      reported = true;
      onOutcome?.(injector.outcome, injector.metaPolicies);
    }
  };
  return new Transform({
    transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      for (const piece of injector.push(bytes)) this.push(asBuffer(piece));
      report();
      callback();
    },
    flush(callback: TransformCallback) {
      for (const piece of injector.end()) this.push(asBuffer(piece));
      report();
      callback();
    },
  });
}
