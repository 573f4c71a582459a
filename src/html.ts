// Where HTML is rewritten: a pure function that places the script before the loader, </head> or </body>.
import { SCRIPT_MARKER } from './script.js';

export const LOADER_TAG = /<script\b[^>]*\bid\s*=\s*["']?hs-script-loader\b[^>]*>/i;
export const HEAD_END = /<\/head\s*>/i;
export const BODY_END = /<\/body\s*>/i;
/** How our own script element starts, as scriptTag() writes it. */
export const SCRIPT_START = `<script ${SCRIPT_MARKER}`;

export type InjectOutcome = 'injected' | 'present' | 'no-insertion-point';

/** Where the script goes: before HubSpot's loader tag, else before </head>, else before </body>; -1 for nowhere. */
export function insertionIndex(html: string): number {
  for (const pattern of [LOADER_TAG, HEAD_END, BODY_END]) {
    const index = html.search(pattern);
    if (index !== -1) return index;
  }
  return -1;
}

/** Whether the page already carries our script (a template printed `hsIdentity.scriptTag`). */
export function hasScript(html: string): boolean {
  return html.includes(SCRIPT_START);
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
