// What an identified response may become: which ones get the script, and the headers of one that carries it.
//
// Every adapter (Node's ServerResponse, Koa, Fastify, web Response) reads and writes headers through
// HeaderAccess, so the rules live here once.
import { privateCacheControl } from './cache-headers.js';

/** The few header operations the rules need, over whatever the framework holds. Names are case-insensitive. */
export interface HeaderAccess {
  get(name: string): unknown;
  set(name: string, value: string | string[]): void;
  remove(name: string): void;
  /** The names of the headers set, lower-cased, where the framework keeps that list: one look instead of one per header. */
  names?(): string[];
}

/** Statuses whose HTML body may carry the script: 200 and error pages; never 204, 206, 304 or a redirect. */
export function statusTakesScript(status: number): boolean {
  return status === 200 || (status >= 400 && status <= 599);
}

// CDNs obey these over Cache-Control (RFC 9213 and the vendors' own names: Akamai's Edge-Control), so a private page
// loses them; any other `<vendor>-CDN-Cache-Control` too, where the header names can be listed.
const SHARED_CACHE_HEADERS = [
  'CDN-Cache-Control',
  'Surrogate-Control',
  'Cloudflare-CDN-Cache-Control',
  'Vercel-CDN-Cache-Control',
  'Netlify-CDN-Cache-Control',
  'Edge-Control',
];
// Validators another visitor's conditional request could match (If-None-Match, If-Modified-Since).
export const VALIDATORS = ['ETag', 'Last-Modified'];

/**
 * Makes a response that carries a visitor's identity private: `Cache-Control: private` without a
 * lifetime (the app's `no-store` kept), no `Expires`, no CDN caching headers, no validator, so no
 * cache reuses it and no 304 crosses visitors.
 */
export function makePrivate(headers: HeaderAccess): void {
  const current = headers.get('Cache-Control');
  const value = privateCacheControl(current);
  if (value !== current) headers.set('Cache-Control', value);
  // Expires is a lifetime too (HTTP/1.0 caches, and any cache when Cache-Control has no max-age).
  if (headers.names) {
    for (const name of headers.names()) if (isDropped(name)) headers.remove(name);
    return;
  }
  for (const name of DROPPED_NAMES) headers.remove(name);
}

const DROPPED_NAMES = ['Expires', ...SHARED_CACHE_HEADERS, ...VALIDATORS];
// The same rules, one header at a time, by lower-cased name: for headers set after makePrivate ran.
const DROPPED = new Set(DROPPED_NAMES.map((name) => name.toLowerCase()));
const isDropped = (lower: string) => DROPPED.has(lower) || lower.endsWith('-cdn-cache-control');

/** What a header set on a private response becomes: Cache-Control made private, undefined for one it may not carry, else the value. */
export function privateHeaderValue(name: string, value: unknown): unknown {
  const lower = name.toLowerCase();
  if (lower === 'cache-control') return privateCacheControl(value);
  return isDropped(lower) ? undefined : value;
}
