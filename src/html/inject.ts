// Where HTML is rewritten: pure functions of strings and bytes that put the script before the first of the loader, </head> or </body>.
//
// The page is read as a browser reads it only up to that place: the scanner stops there, which on
// most pages is the end of the head. The rest is only searched natively for our marker attribute (a
// copy of the script that the template printed itself). Only where the marker occurs does the
// scanner read on, from where it stopped to that occurrence, to tell a real element (the page keeps
// its own copy and nothing is injected: 'present') from the same text in a comment, a script, an
// attribute value, a textarea or a template (the script goes in). Each char is read at most once by
// the scanner and once by the search, so the cost stays linear in the page whatever it holds.
// Bytes (of any ASCII-compatible charset) are scanned through latin1 views of a growing piece of the
// head at a time; the rest is searched in latin1 views too where Buffer makes them cheaply, else
// over the bytes themselves (bytes.ts).
import { encodeSpliced, findMarker, Latin1Reader, spliceText } from './bytes.js';
import { HtmlScanner, MARKER, type ScanListener } from './scanner.js';

export type InjectOutcome = 'injected' | 'present' | 'no-insertion-point';

/** What an injection did, besides the body it gives back. */
export interface Injection {
  outcome: InjectOutcome;
  /**
   * The policies of `<meta http-equiv="Content-Security-Policy">` tags (outside templates) the page
   * holds before the insertion point, or before its own copy of the script, character references
   * decoded; absent when there is none, or nowhere to inject.
   */
  metaPolicies?: string[];
}

/** What the scanner finds on its way to the insertion point; its listener stops the scan there, or at our own element. */
export class Landmarks {
  /** Where the script goes: the `<` of the loader tag, `</head>` or `</body>`, whichever comes first; -1 while none. */
  place = -1;
  /** The page carries our element (before the place, or, read on to a marker, after it). */
  present = false;
  policies: string[] | undefined;

  readonly listen: ScanListener = (kind, start, _end, policy) => {
    if (kind === 'ours') return (this.present = true);
    if (this.place !== -1 || kind === 'ours-element') return false;
    if (kind === 'meta-policy') (this.policies ??= []).push(policy!);
    else this.place = start;
    return this.place !== -1;
  };

  get outcome(): InjectOutcome {
    if (this.present) return 'present';
    return this.place === -1 ? 'no-insertion-point' : 'injected';
  }

  /** `result` with the meta policies, when there are any and a script is on the page. */
  report<T extends Injection>(result: T): T {
    if (this.policies && result.outcome !== 'no-insertion-point') result.metaPolicies = this.policies;
    return result;
  }
}

/**
 * After the insertion point: the scanner, stopped at `from` in `text`, reads on only to each
 * occurrence of the marker, so the listener hears of a real copy of our element.
 */
function readOnToMarkers(scanner: HtmlScanner, marks: Landmarks, text: string, from: number): void {
  for (let found = findMarker(text, from); found !== -1 && !marks.present; found = findMarker(text, from)) {
    from = scanner.write(text, from, found + MARKER.length);
  }
}

function scanText(html: string): Landmarks {
  const marks = new Landmarks();
  const scanner = new HtmlScanner(marks.listen);
  const stop = scanner.write(html);
  if (marks.outcome === 'injected') readOnToMarkers(scanner, marks, html, stop);
  return marks;
}

function scanBytes(bytes: Uint8Array): Landmarks {
  const marks = new Landmarks();
  const scanner = new HtmlScanner(marks.listen);
  const reader = new Latin1Reader(bytes);
  let at = reader.read(scanner, 0, bytes.length);
  if (marks.outcome !== 'injected') return marks;
  for (let found = reader.findMarker(at); found !== -1 && !marks.present; found = reader.findMarker(at)) {
    at = reader.read(scanner, at, found + MARKER.length);
  }
  return marks;
}

/**
 * The script element to insert: one string, or its parts in order (a cached visitor's element is kept
 * as shared parts around its settings, so no page builds, and then copies, the whole element).
 */
export type Tag = string | readonly string[];

const joined = (tag: Tag): string => (typeof tag === 'string' ? tag : tag.join(''));

/** Inserts `tag` into `html` once; says what it did. */
export function injectIntoHtml(html: string, tag: Tag): Injection & { html: string } {
  const marks = scanText(html);
  const outcome = marks.outcome;
  const body = outcome === 'injected' ? html.slice(0, marks.place) + joined(tag) + html.slice(marks.place) : html;
  return marks.report({ html: body, outcome });
}

/**
 * The same rewrite of a string page, as the UTF-8 bytes a server sends: scanned as a string, then
 * encoded once straight into one array. Encoding the spliced string instead first copies the whole
 * page to flatten it.
 */
export function injectIntoHtmlAsBytes(html: string, tag: Tag): Injection & { body: Uint8Array } {
  const marks = scanText(html);
  const outcome = marks.outcome;
  return marks.report({ body: encodeSpliced(html, outcome === 'injected' ? marks.place : -1, tag), outcome });
}

/** The same rewrite over bytes of any ASCII-compatible charset; `tag` is written as UTF-8. The very same bytes when nothing is injected. */
export function injectIntoBytes(bytes: Uint8Array, tag: Tag): Injection & { body: Uint8Array } {
  const marks = scanBytes(bytes);
  const outcome = marks.outcome;
  return marks.report({ body: outcome === 'injected' ? spliceText(bytes, marks.place, joined(tag)) : bytes, outcome });
}
