// What an identified response may become: which ones get the script, and the headers of one that carries it.
//
// Every adapter (Node's ServerResponse, Koa, Fastify, web Response) reads and writes headers through
// HeaderAccess, so the rules live here once.
import { createHash } from 'node:crypto';
import { privateCacheControl } from './cache-headers.js';

/** The few header operations the rules need, over whatever the framework holds. Names are case-insensitive. */
export interface HeaderAccess {
  get(name: string): unknown;
  set(name: string, value: string | string[]): void;
  remove(name: string): void;
}

/** Statuses whose HTML body may carry the script: 200 and error pages; never 204, 206, 304 or a redirect. */
export function statusTakesScript(status: number): boolean {
  return status === 200 || (status >= 400 && status <= 599);
}

// CDNs obey these over Cache-Control (RFC 9213 and the vendors' own names), so a private page loses them.
const SHARED_CACHE_HEADERS = ['CDN-Cache-Control', 'Surrogate-Control', 'Cloudflare-CDN-Cache-Control', 'Vercel-CDN-Cache-Control'];
// Validators another visitor's conditional request could match (If-None-Match, If-Modified-Since).
export const VALIDATORS = ['ETag', 'Last-Modified'];

/**
 * Makes a response that carries a visitor's identity private: `Cache-Control: private` without a
 * lifetime (the app's `no-store` kept), no `Expires`, no CDN caching headers, no validator, so no
 * cache reuses it and no 304 crosses visitors.
 */
export function makePrivate(headers: HeaderAccess): void {
  headers.set('Cache-Control', privateCacheControl(headers.get('Cache-Control')));
  // Expires is a lifetime too (HTTP/1.0 caches, and any cache when Cache-Control has no max-age).
  headers.remove('Expires');
  for (const name of SHARED_CACHE_HEADERS) headers.remove(name);
  for (const name of VALIDATORS) headers.remove(name);
}

// The same rules, one header at a time, by lower-cased name: for headers set after makePrivate ran.
const DROPPED = new Set(['expires', ...SHARED_CACHE_HEADERS, ...VALIDATORS].map((name) => name.toLowerCase()));

/** What a header set on a private response becomes: Cache-Control made private, undefined for one it may not carry, else the value. */
export function privateHeaderValue(name: string, value: unknown): unknown {
  const lower = name.toLowerCase();
  if (lower === 'cache-control') return privateCacheControl(value);
  return DROPPED.has(lower) ? undefined : value;
}

/** `'sha256-…'`, the CSP source that allows exactly this inline script's text. */
export function scriptHashSource(scriptText: string): string {
  return `'sha256-${createHash('sha256').update(scriptText, 'utf8').digest('base64')}'`;
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

const HASH_SOURCE = /^'sha(256|384|512)-/i;

/** One policy with the hash added where inline scripts are allowed only by hash; unchanged otherwise. */
function addHashToPolicy(policy: string, source: string): string {
  const directives = policy.split(';').map((directive) => directive.trim()).filter((directive) => directive !== '');
  const named = (name: string) => directives.findIndex((directive) => directive.split(/\s+/)[0]!.toLowerCase() === name);
  const elem = named('script-src-elem');
  const script = named('script-src');
  const fallback = named('default-src');
  const governing = elem !== -1 ? elem : script !== -1 ? script : fallback;
  if (governing === -1) return policy;
  const sources = directives[governing]!.split(/\s+/).slice(1);
  if (!sources.some((value) => HASH_SOURCE.test(value)) || sources.includes(source)) return policy;
  // The hash goes where inline script elements are judged: script-src and script-src-elem when the
  // policy has them, else default-src, which then stands for script-src.
  const targets = elem !== -1 || script !== -1 ? [elem, script].filter((index) => index !== -1) : [fallback];
  for (const index of targets) {
    const values = directives[index]!.split(/\s+/);
    if (values.slice(1).some((value) => value.toLowerCase() === "'none'")) continue;
    directives[index] = `${directives[index]} ${source}`;
  }
  return directives.join('; ');
}

/**
 * Adds the injected script's own hash to a Content-Security-Policy (and its report-only twin) that
 * allows inline scripts only by hash, so the script runs under it without a nonce. Never loosens a
 * policy otherwise: policies without hash sources are left as they are.
 */
export function allowScriptByHash(headers: HeaderAccess, scriptText: string): void {
  let source: string | undefined;
  for (const name of ['Content-Security-Policy', 'Content-Security-Policy-Report-Only']) {
    const value = headers.get(name);
    if (value === undefined || value === null || value === '') continue;
    source ??= scriptHashSource(scriptText);
    const hashed = source;
    if (Array.isArray(value)) {
      const policies = value.map((policy) => addHashToPolicy(String(policy), hashed));
      if (policies.some((policy, i) => policy !== value[i])) headers.set(name, policies);
    } else {
      const policy = addHashToPolicy(String(value), hashed);
      if (policy !== String(value)) headers.set(name, policy);
    }
  }
}
