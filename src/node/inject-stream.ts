// The streaming injector as a Node Transform, for Node frameworks' stream bodies.
import { Transform, type TransformCallback } from 'node:stream';
import { StreamingInjector } from '../html/inject-stream.js';
import type { InjectOutcome } from '../html/inject.js';

const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** A Transform that injects `tag` into the HTML flowing through it, then reports the outcome. */
export function createInjectingStream(tag: string, onOutcome?: (outcome: InjectOutcome) => void): Transform {
  const injector = new StreamingInjector(tag);
  let reported = false;
  const report = () => {
    if (!reported && injector.outcome) {
      reported = true;
      onOutcome?.(injector.outcome);
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
