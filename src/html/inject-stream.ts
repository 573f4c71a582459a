// The same rewrite as inject.ts over a stream of chunks: injects on the fly, holding back only an unfinished tag.
//
// It works on bytes decoded as latin1, one character per byte, so indexes are byte offsets and
// multi-byte UTF-8 characters pass through untouched: every pattern is ASCII, and ASCII bytes never
// occur inside a multi-byte character. As a stream cannot look ahead, the script goes before the
// first of the loader tag, </head> or </body>: each of them comes before the loader runs.
import { Transform, type TransformCallback } from 'node:stream';
import { BODY_END, hasScript, HEAD_END, loaderIndex, SCRIPT_START, type InjectOutcome } from './inject.js';

/** A tag still open after this many bytes is not one we look for; it is passed on. */
const MAX_HELD_BYTES = 4096;

function firstMatch(text: string): number {
  let first = loaderIndex(text);
  for (const pattern of [HEAD_END, BODY_END]) {
    const index = text.search(pattern);
    if (index !== -1 && (first === -1 || index < first)) first = index;
  }
  return first;
}

export class StreamingInjector {
  readonly #tag: Buffer;
  #held: Buffer | undefined;
  #empty = true;
  /** What happened, once it is known: while undefined the injector is still looking. */
  outcome: InjectOutcome | undefined;

  constructor(tag: string) {
    this.#tag = Buffer.from(tag, 'utf8');
  }

  /** Takes the next chunk and returns what can be sent now, in order. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) this.#empty = false;
    if (this.outcome) return [chunk];
    const data = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = undefined;
    const text = data.toString('latin1');
    const target = firstMatch(text);
    const ours = hasScript(text) ? text.indexOf(SCRIPT_START) : -1;
    if (ours !== -1 && (target === -1 || ours < target)) {
      this.outcome = 'present';
      return [data];
    }
    if (target !== -1) {
      this.outcome = 'injected';
      return [data.subarray(0, target), this.#tag, data.subarray(target)].filter((piece) => piece.length > 0);
    }
    const open = text.lastIndexOf('<');
    if (open !== -1 && text.indexOf('>', open) === -1 && text.length - open <= MAX_HELD_BYTES) {
      this.#held = data.subarray(open);
      return open === 0 ? [] : [data.subarray(0, open)];
    }
    return [data];
  }

  /** The end of the page: returns what was held back. An empty body has no outcome: there was no page. */
  end(): Buffer[] {
    if (!this.#empty) this.outcome ??= 'no-insertion-point';
    const held = this.#held;
    this.#held = undefined;
    return held ? [held] : [];
  }
}

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
      for (const piece of injector.push(bytes)) this.push(piece);
      report();
      callback();
    },
    flush(callback: TransformCallback) {
      for (const piece of injector.end()) this.push(piece);
      report();
      callback();
    },
  });
}
