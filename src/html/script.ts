// The inline <script> that hands the token to HubSpot's widget (or resets it), pure ASCII so no value can leave it in any page charset.
import type { WidgetOptions } from '../options.js';
import { IDENTIFY_SOURCE, RESET_SOURCE } from './page-source.js';

/** What the widget receives in `window.hsConversationsSettings`: the identity, then the `widget` option's fields. */
export interface WidgetSettings extends WidgetOptions {
  identificationEmail: string;
  identificationToken: string;
  loadImmediately: boolean;
}

/** The attribute that marks our script, so a page is never injected twice. */
export const SCRIPT_MARKER = 'data-hubspot-identify';

// Everything but printable ASCII, and the characters that could end the script or start markup. Without
// the u flag each half of a surrogate pair matches alone, so an astral character becomes two escapes.
const NOT_SAFE_ASCII = /[^\x20-\x7e]|[<>&]/g;
const escapeForScript = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON that is also safe inside an inline `<script>` of any ASCII-compatible charset (Shift_JIS, GBK,
 * ISO-8859-1...): pure printable ASCII, no value can close the element, open markup or swallow a backslash.
 */
export function serializeForScript(value: unknown): string {
  return JSON.stringify(value).replace(NOT_SAFE_ASCII, escapeForScript);
}

const ATTRIBUTE_UNSAFE = /[&"<>]|[^\x20-\x7e]/g;

function escapeAttribute(value: string): string {
  return value.replace(ATTRIBUTE_UNSAFE, (char) => `&#${char.charCodeAt(0)};`);
}

// The page functions' own source (src/browser/page.ts), taken at build time: the inline script and the browser entry cannot drift apart.
const IDENTIFY = IDENTIFY_SOURCE;
const RESET_BODY = `${RESET_SOURCE}(window,true);`;

export interface ScriptOptions {
  /** Reset the widget (`clear({ resetWidget: true })`) before identifying: the browser's previous visitor was someone else. Default: `false`. */
  resetFirst?: boolean;
}

/** The script element's source for these settings. */
export function scriptBody(settings: WidgetSettings, options: ScriptOptions = {}): string {
  return scriptBodyOf(serializeForScript(settings), options.resetFirst === true);
}

/** The script element's source for settings already serialised with serializeForScript (kept per cached visitor). */
export function scriptBodyOf(settingsJson: string, resetFirst: boolean): string {
  return `${IDENTIFY}(window,${settingsJson},${resetFirst});`;
}

const PREFIX = `<script ${SCRIPT_MARKER}>${IDENTIFY}(window,`;
const SUFFIX = [',false);</script>', ',true);</script>'] as const;

/**
 * The element scriptTag() makes for settings serialised already, as its parts in order: shared text
 * around the settings, so a page injects a cached visitor's element without building it whole.
 */
export function scriptTagParts(settingsJson: string, nonce?: string | null, resetFirst = false): readonly [string, string, string] {
  const prefix = nonce ? `<script ${SCRIPT_MARKER} nonce="${escapeAttribute(nonce)}">${IDENTIFY}(window,` : PREFIX;
  return [prefix, settingsJson, SUFFIX[resetFirst ? 1 : 0]];
}

/** The whole `<script>` element around a body from scriptBody(), with the CSP nonce when there is one. */
export function wrapScript(body: string, nonce?: string | null): string {
  const nonceAttribute = nonce ? ` nonce="${escapeAttribute(nonce)}"` : '';
  return `<script ${SCRIPT_MARKER}${nonceAttribute}>${body}</script>`;
}

/** The whole `<script>` element for these settings, with the CSP nonce when there is one. */
export function scriptTag(settings: WidgetSettings, nonce?: string | null, options?: ScriptOptions): string {
  return wrapScript(scriptBody(settings, options), nonce);
}

/** The source of the logout script: `clear({ resetWidget: true })` once, whether the SDK is there yet or not. */
export function resetScriptBody(): string {
  return RESET_BODY;
}

/** The whole logout `<script>` element, for the first anonymous page after an identified one. */
export function resetScriptTag(nonce?: string | null): string {
  return wrapScript(RESET_BODY, nonce);
}
