// Pages as bytes without Node: latin1 views for the scanner, UTF-8 encoding, and the native search for our marker.
//
// Uint8Array in and out, TextEncoder and TextDecoder, so Workers without nodejs_compat and the Edge
// runtime load it. Where a global Buffer exists (Node, Bun, Workers with nodejs_compat) it makes
// the latin1 views, one copy of the bytes, where TextDecoder takes 2-3 ns a byte on text that is not
// ASCII (20-40 times longer); over those views our marker is searched with a regular expression,
// and over the bytes themselves without one. Buffer is looked up per call, so tests can take it
// away. Bytes come out as Buffers there too (a Buffer is a Uint8Array): Node frameworks send only
// those as bytes. Measured in bench/injection.mjs.
import { MARKER, type HtmlScanner } from './scanner.js';

interface NodeBuffer {
  from(
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): Uint8Array & { toString(encoding: 'latin1', start?: number, end?: number): string };
  allocUnsafe(size: number): Uint8Array;
}

const nodeBuffer = (): NodeBuffer | undefined => {
  const candidate = (globalThis as { Buffer?: NodeBuffer }).Buffer;
  return typeof candidate?.from === 'function' && typeof candidate.allocUnsafe === 'function' ? candidate : undefined;
};

const latin1Decoder = new TextDecoder('latin1');

/**
 * `bytes[from..to)` as text of one char per byte, so offsets into it are byte offsets. WHATWG's
 * 'latin1' is windows-1252, which maps 0x80-0x9f elsewhere but still to one UTF-16 unit each; ASCII,
 * all that markup is made of, reads the same in any of them.
 */
export function latin1(bytes: Uint8Array, from = 0, to = bytes.length): string {
  const buffer = nodeBuffer();
  if (buffer) return buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
  return latin1Decoder.decode(bytes.subarray(from, to));
}

/** The first latin1 piece of a page's bytes a Latin1Reader makes, for a head; each next is twice as long, up to MAX_PIECE. */
const FIRST_PIECE = 4 * 1024;
/** Past 128 KB a string is a large object to V8, and making one in a loop took 60 times longer a byte. */
export const MAX_PIECE = 64 * 1024;

/** Feeds a scanner bytes through latin1 pieces, each made once, so only what it reads is decoded. */
export class Latin1Reader {
  readonly #bytes: Uint8Array;
  #text = '';
  /** The byte offset of #text. */
  #at = 0;
  #size: number;

  /** `firstPiece`: FIRST_PIECE for a page's start, where the scanner stops early; MAX_PIECE for bytes it reads whole. */
  constructor(bytes: Uint8Array, firstPiece = FIRST_PIECE) {
    this.#bytes = bytes;
    this.#size = firstPiece;
  }

  /** Makes #text a piece holding `bytes[from..from + need)`, unless it is one already; a new one is `size` long. */
  #piece(from: number, need: number, size = this.#size): void {
    if (from >= this.#at && from - this.#at + need <= this.#text.length) return;
    this.#at = from;
    this.#text = latin1(this.#bytes, from, Math.min(this.#bytes.length, from + size));
    this.#size = Math.min(MAX_PIECE, size * 2);
  }

  /**
   * Has `scanner`, which has read the bytes before `from`, read on to `to` as HtmlScanner.write
   * does (a soft bound), and on to the end of a tag a piece's end cut; returns the index it stopped
   * at, before `to` only if its listener stopped it.
   */
  read(scanner: HtmlScanner, from: number, to: number): number {
    while (from < this.#bytes.length && (from < to || scanner.inTag)) {
      this.#piece(from, 1);
      // Past `to` inside a tag, on at least a char: the tag reads on to its end, or this piece's.
      from = this.#at + scanner.write(this.#text, from - this.#at, Math.max(to, from + 1) - this.#at);
      if (scanner.stopped) break;
    }
    return from;
  }

  /**
   * The index of the next occurrence of our marker from `from`, in any ASCII case, or -1. With Buffer,
   * the regular expression over the pieces the scanner reads too (2.4 times as fast as Horspool's in
   * JavaScript, bench/injection.mjs), the rest of the page searched whole rather than a head at a
   * time, each next piece overlapping the last by the marker's length less one.
   */
  findMarker(from: number): number {
    if (!nodeBuffer()) return findMarkerInBytes(this.#bytes, from);
    while (from + LAST < this.#bytes.length) {
      this.#piece(from, LAST + 1, MAX_PIECE);
      const found = findMarker(this.#text, from - this.#at);
      if (found !== -1) return this.#at + found;
      from = this.#at + this.#text.length - LAST;
    }
    return -1;
  }
}

/** A new byte array of `length`, its contents to be written over whole. */
export function allocate(length: number): Uint8Array {
  return nodeBuffer()?.allocUnsafe(length) ?? new Uint8Array(length);
}

const encoder = new TextEncoder();

/** The UTF-8 of `text`; one pass for ASCII, into Buffer's pool where there is one (a small Uint8Array of its own costs more than encoding it). */
export function utf8(text: string): Uint8Array {
  const out = allocate(text.length);
  const { read, written } = encoder.encodeInto(text, out);
  return read === text.length ? out.subarray(0, written) : encoder.encode(text);
}

/** `bytes` with `insert` at `index`, in one new array. */
function spliceBytes(bytes: Uint8Array, index: number, insert: Uint8Array): Uint8Array {
  const out = allocate(bytes.length + insert.length);
  out.set(bytes.subarray(0, index), 0);
  out.set(insert, index);
  out.set(bytes.subarray(index), index + insert.length);
  return out;
}

/** `bytes` with the UTF-8 of `tag` at `index`, in one new array, the tag written straight into it. */
export function spliceText(bytes: Uint8Array, index: number, tag: string): Uint8Array {
  // Our tags are ASCII, a byte a char; any other is encoded on its own first.
  const out = allocate(bytes.length + tag.length);
  const { read, written } = encoder.encodeInto(tag, out.subarray(index, index + tag.length));
  if (read < tag.length || written < tag.length) return spliceBytes(bytes, index, utf8(tag));
  out.set(bytes.subarray(0, index), 0);
  out.set(bytes.subarray(index), index + tag.length);
  return out;
}

/**
 * The UTF-8 bytes of `html` with `tag` at `index` (a `<`, so no surrogate pair is cut), written once
 * into one array: encoding the spliced string would first copy the whole page to flatten it. The
 * array is sized for text that is mostly one byte a char and grown once for text that is not, so the
 * page is never measured before it is encoded.
 */
export function encodeSpliced(html: string, index: number, tag: string | readonly string[]): Uint8Array {
  const parts =
    index === -1
      ? [html]
      : typeof tag === 'string'
        ? [html.slice(0, index), tag, html.slice(index)]
        : [html.slice(0, index), ...tag, html.slice(index)];
  // UTF-16 units still to encode.
  let units = 0;
  for (const part of parts) units += part.length;
  let out = allocate(units + (units >> 3) + 16);
  let written = 0;
  for (const part of parts) {
    let { read, written: count } = encoder.encodeInto(part, out.subarray(written));
    written += count;
    if (read < part.length) {
      // At most three bytes a unit (four for a surrogate pair) for what is left.
      const grown = allocate(written + (units - read) * 3);
      grown.set(out.subarray(0, written));
      out = grown;
      ({ written: count } = encoder.encodeInto(part.slice(read), out.subarray(written)));
      written += count;
    }
    units -= part.length;
  }
  return out.subarray(0, written);
}

// Our marker, searched natively in text: a case-insensitive regular expression without the u flag
// folds only ASCII letters to ASCII, as the tokenizer reads attribute names.
const MARKER_ANY_CASE = new RegExp(MARKER, 'gi');

/** The index of the next occurrence of our marker in `text` from `from`, in any ASCII case, or -1. */
export function findMarker(text: string, from = 0): number {
  MARKER_ANY_CASE.lastIndex = from;
  return MARKER_ANY_CASE.exec(text)?.index ?? -1;
}

// Over the bytes themselves, without Buffer or for a chunk boundary's few bytes: Horspool's search,
// ASCII case folded. Typed arrays have no native search for more than one byte, and TextDecoder's
// latin1 costs more than this search.
const MARKER_CODES = Array.from(MARKER, (char) => char.charCodeAt(0));
const LAST = MARKER.length - 1;
const SKIP = new Uint8Array(256).fill(MARKER.length);
for (let j = 0; j < LAST; j++) {
  const code = MARKER_CODES[j]!;
  SKIP[code] = LAST - j;
  if (code >= 0x61 && code <= 0x7a) SKIP[code & ~0x20] = LAST - j;
}
const foldCase = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** The index of the first occurrence of our marker (in any ASCII case) in `bytes[from..to)`, or -1, read over the bytes. */
export function findMarkerInBytes(bytes: Uint8Array, from = 0, to = bytes.length): number {
  const last = MARKER_CODES[LAST]!;
  for (let i = from; i + LAST < to; ) {
    const c = bytes[i + LAST]!;
    if (foldCase(c) === last) {
      let j = LAST - 1;
      while (j >= 0 && foldCase(bytes[i + j]!) === MARKER_CODES[j]) j--;
      if (j < 0) return i;
    }
    i += SKIP[c]!;
  }
  return -1;
}
