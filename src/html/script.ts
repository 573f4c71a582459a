// The inline <script> that hands the token to HubSpot's widget, serialized so no value can leave it.

/** What the widget receives in `window.hsConversationsSettings`. */
export interface WidgetSettings {
  identificationEmail: string;
  identificationToken: string;
  loadImmediately: boolean;
}

/** The attribute that marks our script, so a page is never injected twice. */
export const SCRIPT_MARKER = 'data-hubspot-identify';

const UNSAFE_IN_SCRIPT = /[<>&\u2028\u2029]/g;
const escapeForScript = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON that is also safe inside an inline `<script>`: no value can close the element or open markup. */
export function serializeForScript(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_SCRIPT, escapeForScript);
}

const ATTRIBUTE_UNSAFE = /[&"<>]/g;
const ATTRIBUTE_ENTITIES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

function escapeAttribute(value: string): string {
  return value.replace(ATTRIBUTE_UNSAFE, (char) => ATTRIBUTE_ENTITIES[char]!);
}

// Merges into settings the page may have set itself; with loadImmediately false, loads the widget once
// the SDK is ready (through hsConversationsOnReady, since the SDK object may not exist yet), unless
// something else has loaded it already.
const LOAD_WHEN_READY =
  'var r=w.hsConversationsOnReady=w.hsConversationsOnReady||[];' +
  'r.push(function(){var c=w.HubSpotConversations;if(c&&c.widget){var t=c.widget.status&&c.widget.status();if(!t||!t.loaded)c.widget.load();}});';

/** The script element's source for these settings. */
export function scriptBody(settings: WidgetSettings): string {
  const merge = `(function(w){var s=w.hsConversationsSettings||{},i=${serializeForScript(settings)};for(var k in i)s[k]=i[k];w.hsConversationsSettings=s;`;
  return merge + (settings.loadImmediately ? '' : LOAD_WHEN_READY) + '})(window);';
}

/** The whole `<script>` element around a body from scriptBody(), with the CSP nonce when there is one. */
export function wrapScript(body: string, nonce?: string | null): string {
  const nonceAttribute = nonce ? ` nonce="${escapeAttribute(nonce)}"` : '';
  return `<script ${SCRIPT_MARKER}${nonceAttribute}>${body}</script>`;
}

/** The whole `<script>` element for these settings, with the CSP nonce when there is one. */
export function scriptTag(settings: WidgetSettings, nonce?: string | null): string {
  return wrapScript(scriptBody(settings), nonce);
}
