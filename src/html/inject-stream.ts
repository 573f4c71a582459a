// The same rewrite as inject.ts over a stream of byte chunks: injected on the fly, holding back only an unfinished tag.
//
// Chunks are read as latin1, one char per byte, so offsets are byte offsets and multi-byte
// characters pass through untouched. Up to the insertion point (the first of the loader tag,
// </head> or </body>, as for whole bodies) the scanner reads every chunk, and only an unfinished
// tag that may be one of those (at most MAX_TAG bytes) is held back. There the script goes in and
// the scanner stops. From then on the page must carry the script once: a later real copy of our
// element (a template printed `hsIdentity.scriptTag`) is dropped, while the same text in a comment,
// a script or an attribute value stays. Telling them apart takes the scanner's state at the copy,
// but reading every byte for a copy that is almost never there cost more than the rest of the
// injection, so:
//
// - each chunk is only searched natively for the marker, also across the boundary with the chunk
//   before; chunks since the point the scanner read to are kept (references to bytes already sent,
//   not copies, at most MAX_UNREAD bytes of them);
// - when the marker turns up, or the scanner is inside a tag or our element it must see the end
//   of, the scanner catches up through the kept chunks and reads this one whole, exactly as before
//   injecting: it finds our element wherever it starts, and drops it when its start has not been
//   sent yet;
// - since the scanner lags, a chunk's end that may be an unfinished `<script` start tag (its last
//   `<`, quotes read as attribute values, at most MAX_TAG bytes) is held back natively, so that a
//   marker in the next chunk finds the element's start unsent. The guess misses only a start tag
//   holding a `<` or a stray quote before the cut; such a copy, found already sent, stays, and the
//   page runs the script twice, which does nothing more than running it once.
//
// A page with no marker after its head thus costs native searches only, up to MAX_UNREAD bytes
// after the insertion point. Past that the scanner catches up once and reads every later chunk
// itself, as it read every stream before: searching them too would cost more than it saves, and
// keeping more would hold on to memory a long page has sent. Nothing held back from the output is
// ever more than a tag, or our own element.
import { allocate, findMarkerInBytes, Latin1Reader, MAX_PIECE, utf8 } from './bytes.js';
import { Landmarks, type InjectOutcome } from './inject.js';
import { HtmlScanner, MARKER, MAX_TAG } from './scanner.js';

/** Bytes after the insertion point the scanner may leave unread: past them it catches up, and reads on. */
export const MAX_UNREAD = 256 * 1024;

const EMPTY = new Uint8Array(0);
const SCRIPT = Array.from('script', (char) => char.charCodeAt(0));

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = allocate(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const isTagNameEnd = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d || c === 0x2f || c === 0x3e;

/**
 * The index of the `<` of a `<script` start tag that may still be open at the end of `bytes`, no
 * earlier than `from`, or -1. A guess from the last `<` alone (see the header).
 */
function openScriptTag(bytes: Uint8Array, from: number): number {
  const found = bytes.subarray(from).lastIndexOf(0x3c);
  if (found === -1) return -1;
  const lt = from + found;
  let i = lt + 1;
  for (const letter of SCRIPT) {
    if (i === bytes.length) return lt;
    if ((bytes[i]! | 0x20) !== letter) return -1;
    i++;
  }
  if (i === bytes.length) return lt;
  if (!isTagNameEnd(bytes[i]!)) return -1;
  for (let quote = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x3e) return -1;
  }
  return lt;
}

export class StreamingInjector {
  readonly #tag: string;
  readonly #marks = new Landmarks();
  /** Our elements the scanner found after the insertion point, as [start, end) offsets. */
  readonly #copies: Array<[number, number]> = [];
  readonly #scanner = new HtmlScanner((kind, start, end, policy) => {
    if (this.outcome === undefined) return this.#marks.listen(kind, start, end, policy);
    if (kind === 'ours-element') this.#copies.push([start, end]);
    return false;
  });
  /** Bytes not sent yet, which start at this stream offset. */
  #held: Uint8Array = EMPTY;
  #heldAt = 0;
  /** Bytes received after the point the scanner read to, which it has not read yet: views of chunks, in order. */
  #unread: Uint8Array[] = [];
  #unreadBytes = 0;
  /** The last bytes of #unread, for a marker that a chunk boundary cuts in two. */
  #carry: Uint8Array = EMPTY;
  /** Set once the page has run past MAX_UNREAD: the scanner then reads every chunk, as searching them too would cost more. */
  #long = false;
  #empty = true;
  /** What happened, once it is known: while undefined the injector is still looking. */
  outcome: InjectOutcome | undefined;

  constructor(tag: string) {
    this.#tag = tag;
  }

  /** The `<meta>` Content-Security-Policy values before the insertion point (see Injection), once the script is on the page. */
  get metaPolicies(): string[] | undefined {
    return this.outcome === 'injected' || this.outcome === 'present' ? this.#marks.policies : undefined;
  }

  /** Takes the next chunk and returns what can be sent now, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    this.#empty = false;
    if (this.outcome === 'present') return [chunk];
    const at = this.#heldAt;
    const data = this.#held.length > 0 ? concat(this.#held, chunk) : chunk;
    const out: Uint8Array[] = [];
    let sent = at;
    // Where in the chunk what the scanner has not read starts.
    let unreadFrom = 0;
    // Before the insertion point the scanner may stop early in a chunk; after it, it reads chunks whole.
    const reader = new Latin1Reader(chunk, this.outcome === undefined ? undefined : MAX_PIECE);
    if (this.outcome === undefined) {
      unreadFrom = reader.read(this.#scanner, 0, chunk.length);
      if (this.#marks.present) {
        this.outcome = 'present';
        this.#held = EMPTY;
        return [data];
      }
      const place = this.#marks.place;
      if (place === -1) return this.#release(out, data, sent, this.#scanner.holdFrom);
      out.push(data.subarray(0, place - at), utf8(this.#tag));
      sent = place;
      this.outcome = 'injected';
    }
    const fresh = chunk.subarray(unreadFrom);
    if (this.#mustRead(fresh, () => reader.findMarker(unreadFrom) !== -1)) {
      for (const piece of this.#unread) new Latin1Reader(piece, MAX_PIECE).read(this.#scanner, 0, piece.length);
      reader.read(this.#scanner, unreadFrom, chunk.length);
      this.#unread = [];
      this.#unreadBytes = 0;
      this.#carry = EMPTY;
      for (const [start, end] of this.#copies) {
        // A copy whose start was sent already stays: the page then runs the script twice, to no effect.
        if (start < sent) continue;
        out.push(data.subarray(sent - at, start - at));
        sent = end;
      }
      this.#copies.length = 0;
      return this.#release(out, data, sent, this.#scanner.holdFrom);
    }
    if (fresh.length > 0) {
      this.#unread.push(fresh);
      this.#unreadBytes += fresh.length;
      const keep = MARKER.length - 1;
      this.#carry = fresh.length >= keep ? fresh.subarray(fresh.length - keep) : concat(this.#carry, fresh).subarray(-keep);
    }
    const open = openScriptTag(data, Math.max(sent - at, data.length - MAX_TAG));
    return this.#release(out, data, sent, open === -1 ? -1 : at + open);
  }

  /** The end of the page: returns what was held back. An empty body has no outcome: there was no page. */
  end(): Uint8Array[] {
    if (!this.#empty) this.outcome ??= 'no-insertion-point';
    const held = this.#held;
    this.#held = EMPTY;
    this.#unread = [];
    return held.length > 0 ? [held] : [];
  }

  /** Whether the scanner must read `fresh` (and catch up first), after the insertion point; `hasMarker` searches it. */
  #mustRead(fresh: Uint8Array, hasMarker: () => boolean): boolean {
    if (this.#long || (this.#unread.length === 0 && this.#scanner.holdFrom !== -1)) return true;
    if (this.#unreadBytes + fresh.length > MAX_UNREAD) return (this.#long = true);
    if (hasMarker()) return true;
    return this.#carry.length > 0 && findMarkerInBytes(concat(this.#carry, fresh.subarray(0, MARKER.length - 1))) !== -1;
  }

  /** Sends `data` (which starts at the held offset) from `sent` on, but for what starts at `hold` (-1: nothing); holds the rest. */
  #release(out: Uint8Array[], data: Uint8Array, sent: number, hold: number): Uint8Array[] {
    const at = this.#heldAt;
    const until = hold === -1 ? at + data.length : Math.max(hold, sent);
    out.push(data.subarray(sent - at, until - at));
    this.#held = data.subarray(until - at);
    this.#heldAt = until;
    return out.filter((piece) => piece.length > 0);
  }
}
