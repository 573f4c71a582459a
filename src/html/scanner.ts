// The one HTML scanner: an incremental WHATWG-style tokenizer that finds where the script may go, for strings and streams alike.
//
// It reads text one chunk at a time (a whole page is one chunk) and keeps its whole state between
// chunks, so a cut anywhere gives the same result and no byte is read twice. Offsets count chars
// from the start of the first chunk: fed a latin1 view of bytes, they are byte offsets. It knows
// only ASCII markup, so any other char, including each byte of a multi-byte character, is text.
// Its listener may stop it right after a tag it reports, and a later write picks up from there in
// the same state: callers read a page as a browser only up to the insertion point, then only to
// where a native search found our marker (see inject.ts and inject-stream.ts).
//
// What it follows from the tokenizer: comments (with their abrupt and `--!>` endings), bogus
// comments and doctypes, tags with quoted and unquoted attribute values, the raw-text and RCDATA
// elements, `<plaintext>`, and script data with its escaped and double-escaped states. From tree
// construction it takes only `<template>` nesting: nothing inside a template counts. Foreign
// content (`<svg>`, `<math>`) is read as HTML. Besides the places for the script and our own
// element, it reports the policies of `<meta http-equiv="Content-Security-Policy">` tags.

/** What the scanner reports: `start` is the offset of the tag's `<`, `end` the offset just past its `>`. */
export type ScanKind =
  /** A `<script>` start tag with `id="hs-script-loader"` or a src on a HubSpot loader host. */
  | 'loader'
  | 'head-end'
  | 'body-end'
  /** A `<script>` start tag carrying our marker attribute. */
  | 'ours'
  /** The whole element of the last 'ours' (through its `</script>`), when it spans at most MAX_OURS_ELEMENT chars. */
  | 'ours-element'
  /** A `<meta http-equiv="Content-Security-Policy">` start tag with a content: the policy comes as the fourth argument. */
  | 'meta-policy';

/** Called for each thing found; returning true stops the scan just past that tag's `>`. */
export type ScanListener = (kind: ScanKind, start: number, end: number, policy?: string) => boolean | void;

/** A tag longer than this (from `<` to `>`) is not looked at: a stream holds back no more than that for one tag. */
export const MAX_TAG = 4096;
/** Our own script element is dropped from a stream only when it is at most this long. */
const MAX_OURS_ELEMENT = 16 * 1024;

const LOADER_ID = 'hs-script-loader';
const LOADER_SRC = /^[\t\n\f\r ]*(?:[a-z][a-z0-9+.-]*:)?[/\\]{2}js(?:-[a-z0-9]+)?\.hs-scripts\.com\.?(?:[:/\\?#]|[\t\n\f\r ]*$)/i;
/** The attribute that marks our own script element (SCRIPT_MARKER in script.ts, which imports what this file must not). */
export const MARKER = 'data-hubspot-identify';
/** Enough of a src, id or http-equiv value to read it. */
const MAX_VALUE = 256;
/** A meta policy longer than this is not reported: a stream keeps no more than that of one attribute value. */
export const MAX_POLICY = 16 * 1024;
const CSP = 'content-security-policy';

// Tokenizer states.
const DATA = 0;
const TAG_OPEN = 1;
const END_TAG_OPEN = 2;
const TAG_NAME = 3;
const BEFORE_ATTR_NAME = 4;
const ATTR_NAME = 5;
const AFTER_ATTR_NAME = 6;
const BEFORE_ATTR_VALUE = 7;
const ATTR_VALUE_DQ = 8;
const ATTR_VALUE_SQ = 9;
const ATTR_VALUE_UQ = 10;
const AFTER_ATTR_VALUE = 11;
const SELF_CLOSING = 12;
const MARKUP = 13;
const MARKUP_DASH = 14;
const BOGUS_COMMENT = 15;
const COMMENT_START = 16;
const COMMENT_START_DASH = 17;
const COMMENT = 18;
const COMMENT_END_DASH = 19;
const COMMENT_END = 20;
const COMMENT_END_BANG = 21;
const RAWTEXT = 22;
const RAWTEXT_LT = 23;
const RAW_END_OPEN = 24;
const RAW_END_NAME = 25;
const SCRIPT = 26;
const SCRIPT_LT = 27;
const SCRIPT_ESC_START = 28;
const SCRIPT_ESC_START_DASH = 29;
const SCRIPT_ESC = 30;
const SCRIPT_ESC_DASH = 31;
const SCRIPT_ESC_DASH_DASH = 32;
const SCRIPT_ESC_LT = 33;
const SCRIPT_DESC_START = 34;
const SCRIPT_DESC = 35;
const SCRIPT_DESC_DASH = 36;
const SCRIPT_DESC_DASH_DASH = 37;
const SCRIPT_DESC_LT = 38;
const SCRIPT_DESC_END = 39;
const PLAINTEXT = 40;

// Tag names are kept as a number, each ASCII letter a base-27 digit: exact for the 9 letters of the
// longest name we look for, and no string per tag. A name with any other char is OTHER_NAME.
const OTHER_NAME = -1;
const MAX_NAME_LETTERS = 9;
function nameCode(name: string): number {
  let code = 0;
  for (let i = 0; i < name.length; i++) code = code * 27 + (name.charCodeAt(i) - 96);
  return code;
}
const SCRIPT_NAME = nameCode('script');
const HEAD_NAME = nameCode('head');
const BODY_NAME = nameCode('body');
const TEMPLATE_NAME = nameCode('template');
const PLAINTEXT_NAME = nameCode('plaintext');
const META_NAME = nameCode('meta');
/** Elements whose content is text up to their own end tag (RAWTEXT and RCDATA, and noscript as a scripting browser reads it). */
const RAW_TEXT_NAMES = new Set(['style', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'title', 'textarea'].map(nameCode));
/** Tags that may change the tokenizer's state or be reported: every other tag is skipped whole when it can be. */
const STATEFUL_NAMES = new Set([SCRIPT_NAME, HEAD_NAME, BODY_NAME, TEMPLATE_NAME, PLAINTEXT_NAME, META_NAME, ...RAW_TEXT_NAMES]);

const CHARS_READ_WRAP = 2 ** 30 - 1;

const isAlpha = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;

export class HtmlScanner {
  static #charsRead = 0;
  readonly #listener: ScanListener;
  #state = DATA;
  /** Offset just past the last char read. */
  #base = 0;
  /** During a write, the offset of the text's index 0. */
  #shift = 0;
  /** Set when the listener asked to stop. */
  #stopped = false;
  /** Offset of the `<` of the tag being read. */
  #tagStart = 0;
  #endTag = false;
  #name = 0;
  #nameLetters = 0;
  /** The name of the raw-text element we are in, to know its end tag. */
  #rawName = 0;
  /** Where a mismatched end tag in raw text returns to: RAWTEXT, SCRIPT or SCRIPT_ESC. */
  #rawReturn = RAWTEXT;
  #templateDepth = 0;
  /** Attributes are read only for a `<script>` or `<meta>` start tag outside templates: its name, else 0. */
  #tracked = 0;
  #attrName = '';
  #attrValue = '';
  #attr: 'id' | 'src' | 'http-equiv' | 'content' | undefined;
  #id: string | undefined;
  #src: string | undefined;
  #httpEquiv: string | undefined;
  #content: string | undefined;
  #marked = false;
  /** Offset of the `<` of our own script element while inside it, else -1. */
  #oursStart = -1;
  /** Where #attributes stopped when the chunk ended. */
  #attrState = BEFORE_ATTR_NAME;

  constructor(listener: ScanListener) {
    this.#listener = listener;
  }

  /**
   * Chars read by every scanner so far, modulo 2^30: what tests count to show a page is read only as
   * far as it must be. It wraps so it stays one of V8's small integers: past them, a counter that
   * did not slowed every scan after it 2.7 times.
   */
  static get charsRead(): number {
    return HtmlScanner.#charsRead;
  }

  /** Whether the last write ended because the listener asked it to. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Whether the scanner is inside a tag, between its `<` and its `>`: what it reports on the tag is still to come. */
  get inTag(): boolean {
    return this.#state >= TAG_OPEN && this.#state <= SELF_CLOSING;
  }

  /**
   * The earliest offset a later chunk may still report on, or -1: the `<` of an unfinished tag that
   * may turn out to be one we look for, or the start of our own unfinished script element.
   */
  get holdFrom(): number {
    if (this.#oursStart !== -1 && this.#base - this.#oursStart <= MAX_OURS_ELEMENT) return this.#oursStart;
    return this.#mayReport() && this.#base - this.#tagStart <= MAX_TAG ? this.#tagStart : -1;
  }

  #mayReport(): boolean {
    switch (this.#state) {
      case TAG_OPEN:
      case END_TAG_OPEN:
        return true;
      case TAG_NAME:
        return this.#templateDepth === 0 && this.#name !== OTHER_NAME && this.#nameLetters <= MAX_NAME_LETTERS;
      case BEFORE_ATTR_NAME:
      case ATTR_NAME:
      case AFTER_ATTR_NAME:
      case BEFORE_ATTR_VALUE:
      case ATTR_VALUE_DQ:
      case ATTR_VALUE_SQ:
      case ATTR_VALUE_UQ:
      case AFTER_ATTR_VALUE:
      case SELF_CLOSING:
        return (
          this.#templateDepth === 0 && (this.#endTag ? this.#name === HEAD_NAME || this.#name === BODY_NAME : this.#name === SCRIPT_NAME)
        );
      default:
        return false;
    }
  }

  /**
   * Reads `chunk` from index `from`, the stream's next chars, calling the listener for each thing found,
   * in order; returns the index it stopped at. It stops just past a tag whose listener returned true,
   * else once it has reached `to` (a soft bound: a native search or a tag under way may carry it further,
   * never past the chunk), so a caller can read on to a point without reading any char twice.
   */
  write(chunk: string, from = 0, to = chunk.length): number {
    const length = chunk.length;
    const limit = Math.min(to, length);
    let state = this.#state;
    let i = from;
    this.#shift = this.#base - from;
    this.#stopped = false;
    scan: while (i < limit) {
      const c = chunk.charCodeAt(i);
      switch (state) {
        case DATA: {
          const lt = this.#skipOrdinary(chunk, i);
          if (lt === -1) {
            i = length;
            continue;
          }
          this.#tagStart = this.#shift + lt;
          state = TAG_OPEN;
          i = lt + 1;
          continue;
        }
        case TAG_OPEN:
          if (isAlpha(c)) {
            this.#startName(false);
            state = TAG_NAME;
            continue;
          }
          if (c === 0x21) state = MARKUP;
          else if (c === 0x2f) state = END_TAG_OPEN;
          else {
            state = c === 0x3f ? BOGUS_COMMENT : DATA;
            continue;
          }
          break;
        case END_TAG_OPEN:
          if (isAlpha(c)) {
            this.#startName(true);
            state = TAG_NAME;
            continue;
          }
          if (c === 0x3e) state = DATA;
          else {
            state = BOGUS_COMMENT;
            continue;
          }
          break;
        case TAG_NAME: {
          let name = this.#name;
          let letters = this.#nameLetters;
          while (i < length) {
            const d = chunk.charCodeAt(i);
            if (isSpace(d) || d === 0x2f || d === 0x3e) break;
            if (name !== OTHER_NAME) name = isAlpha(d) && letters < MAX_NAME_LETTERS ? name * 27 + ((d | 0x20) - 96) : OTHER_NAME;
            letters++;
            i++;
          }
          this.#name = name;
          this.#nameLetters = letters;
          if (i === length) continue;
          this.#tracked = !this.#endTag && (name === SCRIPT_NAME || name === META_NAME) && this.#templateDepth === 0 ? name : 0;
          const d = chunk.charCodeAt(i);
          if (d === 0x3e) {
            state = this.#emitTag(i);
            if (this.#stopped) {
              i++;
              break scan;
            }
          } else state = d === 0x2f ? SELF_CLOSING : BEFORE_ATTR_NAME;
          break;
        }
        case BEFORE_ATTR_NAME:
        case ATTR_NAME:
        case AFTER_ATTR_NAME:
        case BEFORE_ATTR_VALUE:
        case ATTR_VALUE_DQ:
        case ATTR_VALUE_SQ:
        case ATTR_VALUE_UQ:
        case AFTER_ATTR_VALUE:
        case SELF_CLOSING: {
          const end = this.#attributes(chunk, i, state);
          if (end === -1) {
            state = this.#attrState;
            i = length;
          } else {
            state = this.#emitTag(end - 1);
            i = end;
            if (this.#stopped) break scan;
          }
          continue;
        }
        case MARKUP:
          if (c === 0x2d) state = MARKUP_DASH;
          else {
            state = BOGUS_COMMENT;
            continue;
          }
          break;
        case MARKUP_DASH:
          if (c === 0x2d) state = COMMENT_START;
          else {
            state = BOGUS_COMMENT;
            continue;
          }
          break;
        case BOGUS_COMMENT: {
          // Doctypes end at their first `>` too, quoted identifiers or not.
          const gt = chunk.indexOf('>', i);
          if (gt === -1) {
            i = length;
            continue;
          }
          state = DATA;
          i = gt + 1;
          continue;
        }
        case COMMENT_START:
          if (c === 0x2d) state = COMMENT_START_DASH;
          else if (c === 0x3e) state = DATA;
          else {
            state = COMMENT;
            continue;
          }
          break;
        case COMMENT_START_DASH:
          if (c === 0x2d) state = COMMENT_END;
          else if (c === 0x3e) state = DATA;
          else {
            state = COMMENT;
            continue;
          }
          break;
        case COMMENT: {
          // `<!--` inside a comment changes nothing about where it ends: only `--` then `>` or `!>` does.
          const dash = chunk.indexOf('-', i);
          if (dash === -1) {
            i = length;
            continue;
          }
          state = COMMENT_END_DASH;
          i = dash + 1;
          continue;
        }
        case COMMENT_END_DASH:
          if (c === 0x2d) state = COMMENT_END;
          else {
            state = COMMENT;
            continue;
          }
          break;
        case COMMENT_END:
          if (c === 0x3e) state = DATA;
          else if (c === 0x21) state = COMMENT_END_BANG;
          else if (c !== 0x2d) {
            state = COMMENT;
            continue;
          }
          break;
        case COMMENT_END_BANG:
          if (c === 0x2d) state = COMMENT_END_DASH;
          else if (c === 0x3e) state = DATA;
          else {
            state = COMMENT;
            continue;
          }
          break;
        case RAWTEXT:
        case SCRIPT: {
          const lt = chunk.indexOf('<', i);
          if (lt === -1) {
            i = length;
            continue;
          }
          this.#tagStart = this.#shift + lt;
          state = state === SCRIPT ? SCRIPT_LT : RAWTEXT_LT;
          i = lt + 1;
          continue;
        }
        case RAWTEXT_LT:
          if (c === 0x2f) {
            this.#rawReturn = RAWTEXT;
            state = RAW_END_OPEN;
          } else {
            state = RAWTEXT;
            continue;
          }
          break;
        case SCRIPT_LT:
          if (c === 0x2f) {
            this.#rawReturn = SCRIPT;
            state = RAW_END_OPEN;
          } else if (c === 0x21) state = SCRIPT_ESC_START;
          else {
            state = SCRIPT;
            continue;
          }
          break;
        case RAW_END_OPEN:
          if (isAlpha(c)) {
            this.#startName(true);
            state = RAW_END_NAME;
          } else state = this.#rawReturn;
          continue;
        case RAW_END_NAME:
          if (isAlpha(c)) {
            this.#addLetter(c);
            break;
          }
          if (this.#name === this.#rawName && (isSpace(c) || c === 0x2f || c === 0x3e)) {
            // The element's own end tag: read on as a tag (it may carry attributes).
            this.#tracked = 0;
            state = c === 0x3e ? this.#emitTag(i) : c === 0x2f ? SELF_CLOSING : BEFORE_ATTR_NAME;
            if (this.#stopped) {
              i++;
              break scan;
            }
            break;
          }
          state = this.#rawReturn;
          continue;
        case SCRIPT_ESC_START:
          if (c === 0x2d) state = SCRIPT_ESC_START_DASH;
          else {
            state = SCRIPT;
            continue;
          }
          break;
        case SCRIPT_ESC_START_DASH:
          if (c === 0x2d) state = SCRIPT_ESC_DASH_DASH;
          else {
            state = SCRIPT;
            continue;
          }
          break;
        case SCRIPT_ESC:
          if (c === 0x2d) state = SCRIPT_ESC_DASH;
          else if (c === 0x3c) {
            this.#tagStart = this.#shift + i;
            state = SCRIPT_ESC_LT;
          }
          break;
        case SCRIPT_ESC_DASH:
        case SCRIPT_ESC_DASH_DASH:
          if (c === 0x2d) state = SCRIPT_ESC_DASH_DASH;
          else if (c === 0x3c) {
            this.#tagStart = this.#shift + i;
            state = SCRIPT_ESC_LT;
          } else state = c === 0x3e && state === SCRIPT_ESC_DASH_DASH ? SCRIPT : SCRIPT_ESC;
          break;
        case SCRIPT_ESC_LT:
          if (c === 0x2f) {
            this.#rawReturn = SCRIPT_ESC;
            state = RAW_END_OPEN;
            break;
          }
          if (isAlpha(c)) {
            this.#startName(false);
            state = SCRIPT_DESC_START;
          } else state = SCRIPT_ESC;
          continue;
        case SCRIPT_DESC_START:
        case SCRIPT_DESC_END:
          if (isAlpha(c)) this.#addLetter(c);
          else if (isSpace(c) || c === 0x2f || c === 0x3e) {
            const isScript = this.#name === SCRIPT_NAME;
            state = state === SCRIPT_DESC_START ? (isScript ? SCRIPT_DESC : SCRIPT_ESC) : isScript ? SCRIPT_ESC : SCRIPT_DESC;
          } else {
            state = state === SCRIPT_DESC_START ? SCRIPT_ESC : SCRIPT_DESC;
            continue;
          }
          break;
        case SCRIPT_DESC:
        case SCRIPT_DESC_DASH:
        case SCRIPT_DESC_DASH_DASH:
          if (c === 0x2d) state = state === SCRIPT_DESC ? SCRIPT_DESC_DASH : SCRIPT_DESC_DASH_DASH;
          else if (c === 0x3c) state = SCRIPT_DESC_LT;
          else state = c === 0x3e && state === SCRIPT_DESC_DASH_DASH ? SCRIPT : SCRIPT_DESC;
          break;
        case SCRIPT_DESC_LT:
          if (c === 0x2f) {
            this.#startName(false);
            state = SCRIPT_DESC_END;
            break;
          }
          state = SCRIPT_DESC;
          continue;
        default:
          // PLAINTEXT: the rest of the page is text.
          i = length;
          continue;
      }
      i++;
    }
    this.#state = state;
    this.#base = this.#shift + i;
    HtmlScanner.#charsRead = (HtmlScanner.#charsRead + i - from) & CHARS_READ_WRAP;
    return i;
  }

  /**
   * Reads a tag's attributes from chunk index `i` in attribute state `state`: the index just past the
   * `>` that ends the tag, or -1 when the chunk ends first (the state reached is then in #attrState).
   * One tight loop for the whole run of attributes; names and values are kept only for a tracked `<script>`.
   */
  #attributes(chunk: string, i: number, state: number): number {
    const length = chunk.length;
    const tracking = this.#tracked !== 0;
    while (i < length) {
      const c = chunk.charCodeAt(i);
      switch (state) {
        case BEFORE_ATTR_NAME:
          if (isSpace(c)) break;
          if (c === 0x2f || c === 0x3e) {
            state = AFTER_ATTR_NAME;
            continue;
          }
          state = ATTR_NAME;
          if (tracking) this.#attrName = '';
          if (c === 0x3d) {
            // `=` here starts a name rather than a value.
            if (tracking) this.#attrName = '=';
            break;
          }
          continue;
        case ATTR_NAME: {
          const from = i;
          while (i < length) {
            const d = chunk.charCodeAt(i);
            if (isSpace(d) || d === 0x2f || d === 0x3e || d === 0x3d) break;
            i++;
          }
          if (tracking && this.#attrName.length <= MARKER.length) this.#attrName += chunk.slice(from, i);
          if (i === length) continue;
          if (tracking) this.#nameAttribute();
          if (chunk.charCodeAt(i) === 0x3d) state = BEFORE_ATTR_VALUE;
          else {
            state = AFTER_ATTR_NAME;
            continue;
          }
          break;
        }
        case AFTER_ATTR_NAME:
          if (isSpace(c)) break;
          if (c === 0x2f) state = SELF_CLOSING;
          else if (c === 0x3d) state = BEFORE_ATTR_VALUE;
          else if (c === 0x3e) return i + 1;
          else {
            if (tracking) this.#attrName = '';
            state = ATTR_NAME;
            continue;
          }
          break;
        // biome-ignore lint/suspicious/noFallthroughSwitchClause: after an opening quote the value is read by the next case
        case BEFORE_ATTR_VALUE:
          if (isSpace(c)) break;
          if (tracking) this.#attrValue = '';
          if (c === 0x3e) return i + 1;
          if (c !== 0x22 && c !== 0x27) {
            state = ATTR_VALUE_UQ;
            continue;
          }
          // The opening quote: read the value at once.
          state = c === 0x22 ? ATTR_VALUE_DQ : ATTR_VALUE_SQ;
          i++;
        // falls through
        case ATTR_VALUE_DQ:
        case ATTR_VALUE_SQ: {
          const quote = chunk.indexOf(state === ATTR_VALUE_DQ ? '"' : "'", i);
          const to = quote === -1 ? length : quote;
          if (tracking) this.#takeValue(chunk, i, to);
          i = to;
          if (quote === -1) continue;
          if (tracking) this.#endValue();
          state = AFTER_ATTR_VALUE;
          break;
        }
        case ATTR_VALUE_UQ: {
          const from = i;
          while (i < length) {
            const d = chunk.charCodeAt(i);
            if (isSpace(d) || d === 0x3e) break;
            i++;
          }
          if (tracking) this.#takeValue(chunk, from, i);
          if (i === length) continue;
          if (tracking) this.#endValue();
          if (chunk.charCodeAt(i) === 0x3e) return i + 1;
          state = BEFORE_ATTR_NAME;
          break;
        }
        case AFTER_ATTR_VALUE:
          if (isSpace(c)) state = BEFORE_ATTR_NAME;
          else if (c === 0x2f) state = SELF_CLOSING;
          else if (c === 0x3e) return i + 1;
          else {
            state = BEFORE_ATTR_NAME;
            continue;
          }
          break;
        default:
          // SELF_CLOSING
          if (c === 0x3e) return i + 1;
          state = BEFORE_ATTR_NAME;
          continue;
      }
      i++;
    }
    this.#attrState = state;
    return -1;
  }

  /**
   * The fast path for text and most tags, from `i` in DATA: the index of the first `<` the state
   * machine must read, or -1 for none. A tag is skipped whole when its name changes nothing (no
   * stateful name is shorter than three letters) and it ends in this chunk; a tag that ends beyond
   * it is read again by the state machine, so a char is read at most twice: still linear.
   */
  #skipOrdinary(chunk: string, i: number): number {
    const length = chunk.length;
    for (let lt = chunk.indexOf('<', i); lt !== -1; lt = chunk.indexOf('<', i)) {
      i = lt + 1;
      if (i < length && chunk.charCodeAt(i) === 0x2f) i++;
      if (i >= length || !isAlpha(chunk.charCodeAt(i))) return lt;
      let name = 0;
      const from = i;
      let c = 0;
      for (; i < length; i++) {
        c = chunk.charCodeAt(i);
        // Letters are above `>`: one comparison for most chars of a name.
        if (c <= 0x3e && (c === 0x3e || c === 0x2f || isSpace(c))) break;
        if (name !== OTHER_NAME) name = isAlpha(c) && i - from < MAX_NAME_LETTERS ? name * 27 + ((c | 0x20) - 96) : OTHER_NAME;
      }
      if (i === length || (name >= 27 * 27 && STATEFUL_NAMES.has(name))) return lt;
      if (c === 0x3e) {
        i++;
        continue;
      }
      this.#tracked = 0;
      i = this.#attributes(chunk, i + 1, c === 0x2f ? SELF_CLOSING : BEFORE_ATTR_NAME);
      if (i === -1) return lt;
    }
    return -1;
  }

  #startName(endTag: boolean): void {
    this.#endTag = endTag;
    this.#name = 0;
    this.#nameLetters = 0;
    this.#marked = false;
    this.#id = undefined;
    this.#src = undefined;
    this.#httpEquiv = undefined;
    this.#content = undefined;
    this.#attr = undefined;
  }

  #addLetter(c: number): void {
    this.#name = this.#name !== OTHER_NAME && this.#nameLetters < MAX_NAME_LETTERS ? this.#name * 27 + ((c | 0x20) - 96) : OTHER_NAME;
    this.#nameLetters++;
  }

  /** An attribute name is complete: note whether it is one we read (the first of a name counts, as in a browser). */
  #nameAttribute(): void {
    const name = this.#attrName.toLowerCase();
    this.#attr = undefined;
    if (this.#tracked === SCRIPT_NAME) {
      if (name === MARKER) this.#marked = true;
      else if (name === 'id' && this.#id === undefined) {
        this.#attr = 'id';
        this.#id = '';
      } else if (name === 'src' && this.#src === undefined) {
        this.#attr = 'src';
        this.#src = '';
      }
    } else if (name === 'http-equiv' && this.#httpEquiv === undefined) {
      this.#attr = 'http-equiv';
      this.#httpEquiv = '';
    } else if (name === 'content' && this.#content === undefined) {
      this.#attr = 'content';
      this.#content = '';
    }
  }

  #takeValue(chunk: string, from: number, to: number): void {
    // One char past the limit is kept, so a value over it is known to be.
    const limit = this.#attr === 'content' ? MAX_POLICY + 1 : MAX_VALUE;
    if (this.#attr && this.#attrValue.length < limit)
      this.#attrValue += chunk.slice(from, Math.min(to, from + limit - this.#attrValue.length));
  }

  #endValue(): void {
    if (this.#attr === 'id') this.#id = this.#attrValue;
    else if (this.#attr === 'src') this.#src = this.#attrValue;
    else if (this.#attr === 'http-equiv') this.#httpEquiv = this.#attrValue;
    else if (this.#attr === 'content') this.#content = this.#attrValue;
    this.#attr = undefined;
    this.#attrValue = '';
  }

  /** The tag whose `>` is at chunk index `at` is complete: report it and return the state it leads to. */
  #emitTag(at: number): number {
    const start = this.#tagStart;
    const end = this.#shift + at + 1;
    const name = this.#name;
    const counts = this.#templateDepth === 0 && end - start <= MAX_TAG;
    if (this.#endTag) {
      if (name === SCRIPT_NAME && this.#oursStart !== -1) {
        const oursStart = this.#oursStart;
        this.#oursStart = -1;
        if (end - oursStart <= MAX_OURS_ELEMENT) this.#stopped = this.#listener('ours-element', oursStart, end) === true;
      } else if (name === TEMPLATE_NAME) {
        if (this.#templateDepth > 0) this.#templateDepth--;
      } else if (counts && name === HEAD_NAME) this.#stopped = this.#listener('head-end', start, end) === true;
      else if (counts && name === BODY_NAME) this.#stopped = this.#listener('body-end', start, end) === true;
      return DATA;
    }
    if (name === SCRIPT_NAME) {
      if (this.#tracked !== 0 && counts) {
        if (this.#marked) {
          this.#oursStart = start;
          this.#stopped = this.#listener('ours', start, end) === true;
        }
        if (!this.#stopped && (this.#id === LOADER_ID || (this.#src !== undefined && LOADER_SRC.test(this.#src)))) {
          this.#stopped = this.#listener('loader', start, end) === true;
        }
      }
      this.#rawName = SCRIPT_NAME;
      return SCRIPT;
    }
    if (name === META_NAME) {
      const content = this.#content;
      // A policy from a meta with an empty content, or another http-equiv, is none (HTML's "Content security policy" pragma).
      if (this.#tracked !== 0 && content && content.length <= MAX_POLICY && this.#httpEquiv?.toLowerCase() === CSP) {
        this.#stopped = this.#listener('meta-policy', start, end, decodeCharacterReferences(content)) === true;
      }
      return DATA;
    }
    if (RAW_TEXT_NAMES.has(name)) {
      this.#rawName = name;
      return RAWTEXT;
    }
    if (name === TEMPLATE_NAME) this.#templateDepth++;
    else if (name === PLAINTEXT_NAME) return PLAINTEXT;
    return DATA;
  }
}

// Character references in an attribute value, decoded as the tokenizer does: numeric ones, and the named
// ones a policy may hold. The other 2,000-odd names of HTML's table are left as written.
const NAMED: Record<string, string> = {
  amp: '&',
  AMP: '&',
  lt: '<',
  LT: '<',
  gt: '>',
  GT: '>',
  quot: '"',
  QUOT: '"',
  apos: "'",
  nbsp: '\u00a0',
};
/** Names a browser also decodes without their `;`, unless `=` follows (in an attribute value). */
const LEGACY = new Set(['amp', 'AMP', 'lt', 'LT', 'gt', 'GT', 'quot', 'QUOT', 'nbsp']);
/** What `&#128;` to `&#159;` stand for: windows-1252's characters, as HTML decodes them. */
const C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const REFERENCE = /&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([a-zA-Z][a-zA-Z0-9]*))(;?)/g;

function codePoint(n: number): string {
  if (n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(n >= 0x80 && n <= 0x9f ? C1[n - 0x80]! : n);
}

/** An attribute value as a browser reads it: its numeric and usual named character references decoded. */
export function decodeCharacterReferences(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(REFERENCE, (whole, decimal?: string, hex?: string, name?: string, semicolon?: string, ...rest: unknown[]) => {
    if (decimal !== undefined) return codePoint(Number(decimal));
    if (hex !== undefined) return codePoint(Number.parseInt(hex, 16));
    const decoded = NAMED[name!];
    if (decoded === undefined) return whole;
    if (semicolon) return decoded;
    const at = (rest[0] as number) + whole.length;
    return LEGACY.has(name!) && (rest[1] as string)[at] !== '=' ? decoded : whole;
  });
}
