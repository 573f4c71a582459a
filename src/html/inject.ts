// Where HTML is rewritten: a pure function that places the script before the loader, </head> or </body>.
import { SCRIPT_MARKER } from './script.js';

export const LOADER_TAG = /<script\b[^>]*\bid\s*=\s*["']?hs-script-loader\b[^>]*>/i;
export const HEAD_END = /<\/head\s*>/i;
export const BODY_END = /<\/body\s*>/i;
/** How our own script element starts, as scriptTag() writes it. */
export const SCRIPT_START = `<script ${SCRIPT_MARKER}`;

export type InjectOutcome = 'injected' | 'present' | 'no-insertion-point';

// Scanning a page is the cost paid on every identified response, so the patterns are found with
// indexOf on their rarest part first (V8 skips through text for those), then checked with the regex.
const LOADER_ID = 'hs-script-loader';
const LOADER_TAG_EXACT = new RegExp(`^${LOADER_TAG.source}$`, 'i');
const MARKER_NEEDLE = 'hubspot-identify';
const MARKER_OFFSET = SCRIPT_START.length - MARKER_NEEDLE.length;

/** Where HubSpot's loader tag starts, or -1. */
export function loaderIndex(html: string): number {
  for (let at = html.indexOf(LOADER_ID); at !== -1; at = html.indexOf(LOADER_ID, at + 1)) {
    const start = html.lastIndexOf('<', at);
    const end = html.indexOf('>', at);
    if (start !== -1 && end !== -1 && LOADER_TAG_EXACT.test(html.slice(start, end + 1))) return start;
  }
  return -1;
}

/** Where the script goes: before HubSpot's loader tag, else before </head>, else before </body>; -1 for nowhere. */
export function insertionIndex(html: string): number {
  const loader = loaderIndex(html);
  if (loader !== -1) return loader;
  const head = html.search(HEAD_END);
  return head !== -1 ? head : html.search(BODY_END);
}

/** Whether the page already carries our script (a template printed `hsIdentity.scriptTag`). */
export function hasScript(html: string): boolean {
  for (let at = html.indexOf(MARKER_NEEDLE); at !== -1; at = html.indexOf(MARKER_NEEDLE, at + 1)) {
    if (at >= MARKER_OFFSET && html.startsWith(SCRIPT_START, at - MARKER_OFFSET)) return true;
  }
  return false;
}

/** Inserts `tag` into `html` once; says what it did. */
export function injectIntoHtml(html: string, tag: string): { html: string; outcome: InjectOutcome } {
  if (hasScript(html)) return { html, outcome: 'present' };
  const index = insertionIndex(html);
  if (index === -1) return { html, outcome: 'no-insertion-point' };
  return { html: html.slice(0, index) + tag + html.slice(index), outcome: 'injected' };
}

/** The same rewrite over bytes of any ASCII-compatible charset; `tag` is written as UTF-8. */
export function injectIntoBytes(body: Buffer, tag: string): { body: Buffer; outcome: InjectOutcome } {
  const text = body.toString('latin1');
  if (hasScript(text)) return { body, outcome: 'present' };
  const index = insertionIndex(text);
  if (index === -1) return { body, outcome: 'no-insertion-point' };
  return { body: Buffer.concat([body.subarray(0, index), Buffer.from(tag, 'utf8'), body.subarray(index)]), outcome: 'injected' };
}
