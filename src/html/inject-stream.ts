// The same rewrite as inject.ts over a stream of chunks: the same scanner, fed chunk by chunk, injecting on the fly.
//
// Chunks are read as latin1, one char per byte, so offsets are byte offsets and multi-byte
// characters pass through untouched. A stream cannot look ahead, so the script goes before the first
// of the loader tag, </head> or </body>: each comes before the loader runs. Only an unfinished tag
// that may be one of those (at most MAX_TAG bytes) is held back. Once injected, a later copy of our
// own script element (a template printed `hsIdentity.scriptTag`) is dropped, so the page carries it once.
import { Transform, type TransformCallback } from 'node:stream';
import { type InjectOutcome } from './inject.js';
import { HtmlScanner, type ScanKind } from './scanner.js';

interface Found {
  kind: ScanKind;
  start: number;
  end: number;
}

export class StreamingInjector {
  readonly #tag: Buffer;
  readonly #found: Found[] = [];
  readonly #scanner = new HtmlScanner((kind, start, end) => this.#found.push({ kind, start, end }));
  /** Bytes not sent yet, which start at this stream offset. */
  #held: Buffer = Buffer.alloc(0);
  #heldAt = 0;
  #empty = true;
  /** What happened, once it is known: while undefined the injector is still looking. */
  outcome: InjectOutcome | undefined;

  constructor(tag: string) {
    this.#tag = Buffer.from(tag, 'utf8');
  }

  /** Takes the next chunk and returns what can be sent now, in order. */
  push(bytes: Uint8Array): Buffer[] {
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (chunk.length === 0) return [];
    this.#empty = false;
    if (this.outcome === 'present') return [chunk];
    this.#scanner.write(chunk.toString('latin1'));
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    const at = this.#heldAt;
    const out: Buffer[] = [];
    let sent = at;
    for (const { kind, start, end } of this.#found) {
      if (this.outcome === undefined && kind === 'ours') {
        this.outcome = 'present';
        break;
      }
      if (this.outcome === undefined && kind !== 'ours-element') {
        out.push(data.subarray(sent - at, start - at), this.#tag);
        sent = start;
        this.outcome = 'injected';
      } else if (this.outcome === 'injected' && kind === 'ours-element') {
        out.push(data.subarray(sent - at, start - at));
        sent = end;
      }
    }
    this.#found.length = 0;
    const hold = this.outcome === 'present' ? -1 : this.#scanner.holdFrom;
    const until = hold === -1 ? this.#scanner.position : Math.max(hold, sent);
    out.push(data.subarray(sent - at, until - at));
    this.#held = data.subarray(until - at);
    this.#heldAt = until;
    return out.filter((piece) => piece.length > 0);
  }

  /** The end of the page: returns what was held back. An empty body has no outcome: there was no page. */
  end(): Buffer[] {
    if (!this.#empty) this.outcome ??= 'no-insertion-point';
    const held = this.#held;
    this.#held = Buffer.alloc(0);
    return held.length > 0 ? [held] : [];
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
