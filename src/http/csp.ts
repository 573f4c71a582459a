// The injected script under a Content-Security-Policy: its hash added where the policy allows scripts by hash, and whether a <meta> policy blocks it.
//
// CSP3 rules this follows: a header value is a list of policies separated by commas (a comma never
// appears inside a source expression), and every policy is enforced on its own, so a script must pass
// them all. Within a policy, directives are separated by `;`, names are case-insensitive, and only the
// first directive of a name counts. An inline <script> element is judged by `script-src-elem`, else
// `script-src`, else `default-src`; inline event handlers by `script-src-attr`, else `script-src`, else
// `default-src`. `'unsafe-inline'` counts only in a source list without any hash, nonce or
// `'strict-dynamic'`, so adding a hash to a list that allows inline scripts wholesale would tighten it.
import { sha256Base64 } from '../hash.js';
import type { HeaderAccess } from './response-policy.js';

/** `'sha256-…'`, the CSP source that allows exactly this inline script's text. */
export function scriptHashSource(scriptText: string): string {
  return `'sha256-${sha256Base64(scriptText)}'`;
}

/**
 * The text of an injected script element, which a CSP hash covers; undefined when the element has
 * a nonce, which already lets it run.
 */
export function nonceFreeScriptText(scriptTag: string): string | undefined {
  const open = scriptTag.indexOf('>');
  if (/\snonce=/i.test(scriptTag.slice(0, open))) return undefined;
  return scriptTag.slice(open + 1, scriptTag.lastIndexOf('</'));
}

/** The directive that governs inline script elements in one policy. */
interface Directive {
  sources: string[];
  /** Where the directive's text ends in its policy (before trailing spaces and the `;`): where a source is appended. */
  end: number;
}

// The fallback chain for script elements, most specific first.
const ELEMENT_DIRECTIVES = ['script-src-elem', 'script-src', 'default-src'];
const ASCII_WHITESPACE = /[\t\n\f\r ]+/;
const HASH_SOURCE = /^'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'$/i;
const NONCE_SOURCE = /^'nonce-[A-Za-z0-9+/_-]+={0,2}'$/i;

/** The first directive of the most specific name in the chain, or undefined when the policy restricts no scripts. */
function governingDirective(policy: string): Directive | undefined {
  let best: Directive | undefined;
  let bestRank = ELEMENT_DIRECTIVES.length;
  for (let start = 0; start <= policy.length; ) {
    const semicolon = policy.indexOf(';', start);
    const stop = semicolon === -1 ? policy.length : semicolon;
    const text = policy.slice(start, stop);
    const [name = '', ...sources] = text.trim().split(ASCII_WHITESPACE);
    const rank = ELEMENT_DIRECTIVES.indexOf(name.toLowerCase());
    // Later directives of the same name are ignored, as browsers ignore them.
    if (rank !== -1 && rank < bestRank) {
      best = { sources: sources.filter((source) => source !== ''), end: start + text.trimEnd().length };
      bestRank = rank;
    }
    start = stop + 1;
  }
  return best;
}

const isKeyword = (source: string, keyword: string) => source.toLowerCase() === keyword;

/** A hash source in one canonical spelling: the algorithm lower-cased, base64url read as base64 (browsers accept both). */
const canonicalHash = (source: string) => {
  const dash = source.indexOf('-');
  return source.slice(0, dash).toLowerCase() + source.slice(dash).replace(/-/g, '+').replace(/_/g, '/');
};

function holdsHash(sources: string[], hash: string): boolean {
  const wanted = canonicalHash(hash);
  return sources.some((source) => HASH_SOURCE.test(source) && canonicalHash(source) === wanted);
}

/** Whether a source list allows every inline script: `'unsafe-inline'`, and nothing that makes browsers ignore it. */
function allowsAllInline(sources: string[]): boolean {
  let unsafeInline = false;
  for (const source of sources) {
    if (HASH_SOURCE.test(source) || NONCE_SOURCE.test(source) || isKeyword(source, "'strict-dynamic'")) return false;
    if (isKeyword(source, "'unsafe-inline'")) unsafeInline = true;
  }
  return unsafeInline;
}

/** The comma-separated policies of one header value (or of a meta tag's content). */
const policiesOf = (value: string) => value.split(',');

/** One policy with the hash source added to its governing directive, when that directive allows scripts by hash; else unchanged. */
function hashedPolicy(policy: string, source: string): string {
  const directive = governingDirective(policy);
  if (directive === undefined) return policy;
  const { sources, end } = directive;
  // 'none' stays none: a hash beside it would let our script run where the page allows none.
  if (!sources.some((value) => HASH_SOURCE.test(value)) || sources.some((value) => isKeyword(value, "'none'"))) return policy;
  if (holdsHash(sources, source)) return policy;
  return `${policy.slice(0, end)} ${source}${policy.slice(end)}`;
}

/**
 * A Content-Security-Policy header value (one policy, or several joined by commas) with the hash
 * source added to the directive that governs script elements, in each policy that allows scripts by
 * hash there. The same string when nothing changes; otherwise the policies joined by `, `.
 */
export function addScriptHash(value: string, source: string): string {
  const policies = policiesOf(value);
  const hashed = policies.map((policy) => hashedPolicy(policy, source));
  if (hashed.every((policy, i) => policy === policies[i])) return value;
  return hashed
    .map((policy) => policy.trim())
    .filter((policy) => policy !== '')
    .join(', ');
}

/**
 * Adds the injected script's own hash to a Content-Security-Policy (and its report-only twin) whose
 * directive for script elements allows scripts by hash, so the script runs under it without a nonce.
 * Never loosens or tightens a policy otherwise: other directives, policies without hash sources, and
 * `'none'` are left as they are. Repeated headers (a list) are each read as a comma-separated list.
 */
export function allowScriptByHash(headers: HeaderAccess, scriptText: string): void {
  let source: string | undefined;
  for (const name of ['Content-Security-Policy', 'Content-Security-Policy-Report-Only']) {
    const value = headers.get(name);
    if (value === undefined || value === null || value === '') continue;
    source ??= scriptHashSource(scriptText);
    const hashed = source;
    if (Array.isArray(value)) {
      const policies = value.map((policy) => addScriptHash(String(policy), hashed));
      if (policies.some((policy, i) => policy !== value[i])) headers.set(name, policies);
    } else {
      const policy = addScriptHash(String(value), hashed);
      if (policy !== String(value)) headers.set(name, policy);
    }
  }
}

/** What identifies the injected script to a policy: its nonce attribute when it has one, and its `'sha256-…'` source (scriptHashSource). */
export interface ScriptCredentials {
  nonce?: string | undefined;
  hash: string;
}

function policyBlocksScript(policy: string, script: ScriptCredentials): boolean {
  const directive = governingDirective(policy);
  if (directive === undefined) return false;
  const { sources } = directive;
  if (script.nonce && sources.some((source) => NONCE_SOURCE.test(source) && source.slice(7, -1) === script.nonce)) return false;
  return !holdsHash(sources, script.hash) && !allowsAllInline(sources);
}

/**
 * Whether a `<meta http-equiv="Content-Security-Policy">` policy would block the injected inline
 * script: its governing directive allows it by `'unsafe-inline'` (with no hash, nonce or
 * `'strict-dynamic'` beside it), by the script's nonce or by its hash, or there is no such directive.
 * A meta policy is never report-only and cannot be rewritten by headers, so it is only reported.
 * Comma-joined policies block when any of them does.
 */
export function metaPolicyBlocksScript(policy: string, script: ScriptCredentials): boolean {
  return policiesOf(policy).some((one) => policyBlocksScript(one, script));
}
