// Where HTML is rewritten: a pure function that places the script before the loader, </head> or </body>.
import { HtmlScanner } from './scanner.js';

export type InjectOutcome = 'injected' | 'present' | 'no-insertion-point';

/** What a whole page holds, as the scanner read it: the first of each place, or -1. */
interface PageMarks {
  loader: number;
  headEnd: number;
  bodyEnd: number;
  ours: boolean;
}

/** Scans a whole page (a string, or bytes in their latin1 view) in one chunk. */
function markPage(text: string): PageMarks {
  const marks: PageMarks = { loader: -1, headEnd: -1, bodyEnd: -1, ours: false };
  new HtmlScanner((kind, start) => {
    if (kind === 'ours') marks.ours = true;
    else if (kind === 'loader' && marks.loader === -1) marks.loader = start;
    else if (kind === 'head-end' && marks.headEnd === -1) marks.headEnd = start;
    else if (kind === 'body-end' && marks.bodyEnd === -1) marks.bodyEnd = start;
  }).write(text);
  return marks;
}

/** Where the script goes in a whole page: the loader tag, else </head>, else </body>; -1 for nowhere. */
function pick(marks: PageMarks): number {
  if (marks.loader !== -1) return marks.loader;
  return marks.headEnd !== -1 ? marks.headEnd : marks.bodyEnd;
}

/** Where the script goes in `html` (before that offset), or -1. */
export function insertionIndex(html: string): number {
  return pick(markPage(html));
}

/** Whether the page already carries our script element (a template printed `hsIdentity.scriptTag`). */
export function hasScript(html: string): boolean {
  return markPage(html).ours;
}

/** Inserts `tag` into `html` once; says what it did. */
export function injectIntoHtml(html: string, tag: string): { html: string; outcome: InjectOutcome } {
  const marks = markPage(html);
  if (marks.ours) return { html, outcome: 'present' };
  const index = pick(marks);
  if (index === -1) return { html, outcome: 'no-insertion-point' };
  return { html: html.slice(0, index) + tag + html.slice(index), outcome: 'injected' };
}

/**
 * The same rewrite of a string page, as the UTF-8 bytes a server sends: scanned as a string, then
 * encoded once straight into one buffer. Encoding the spliced string instead first copies the whole
 * page to flatten it, which costs about half as much again as the scan.
 */
export function injectIntoHtmlAsBytes(html: string, tag: string): { body: Buffer; outcome: InjectOutcome } {
  const marks = markPage(html);
  const index = marks.ours ? -1 : pick(marks);
  if (index === -1) return { body: Buffer.from(html, 'utf8'), outcome: marks.ours ? 'present' : 'no-insertion-point' };
  // `index` is at a `<`, so the two halves split no surrogate pair and encode as the whole would.
  const body = Buffer.allocUnsafe(Buffer.byteLength(html, 'utf8') + Buffer.byteLength(tag, 'utf8'));
  let at = body.write(html.slice(0, index), 0, 'utf8');
  at += body.write(tag, at, 'utf8');
  body.write(html.slice(index), at, 'utf8');
  return { body, outcome: 'injected' };
}

/** The same rewrite over bytes of any ASCII-compatible charset; `tag` is written as UTF-8. */
export function injectIntoBytes(body: Buffer, tag: string): { body: Buffer; outcome: InjectOutcome } {
  const marks = markPage(body.toString('latin1'));
  if (marks.ours) return { body, outcome: 'present' };
  const index = pick(marks);
  if (index === -1) return { body, outcome: 'no-insertion-point' };
  return { body: Buffer.concat([body.subarray(0, index), Buffer.from(tag, 'utf8'), body.subarray(index)]), outcome: 'injected' };
}
