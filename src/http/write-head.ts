// The last moment before a Node response's headers go out (writeHead), where what other middleware added after the rules ran can still be undone.
import type { ServerResponse } from 'node:http';
import { makePrivate, privateHeaderValue, statusTakesScript, type HeaderAccess } from './response-policy.js';
import { isHtml } from './page-load.js';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;
type SetHeader = (this: ServerResponse, name: string, value: unknown) => ServerResponse;

/**
 * Sets headers given to writeHead on the response, as Node would: an object replaces same-named
 * headers; a list (flat `[name, value, …]` or `[[name, value], …]`) replaces them but keeps its own
 * repeats (several Set-Cookie).
 */
export function setHeaders(res: ServerResponse, headers: object): void {
  if (!Array.isArray(headers)) {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string);
    return;
  }
  const flat: unknown[] = Array.isArray(headers[0]) ? headers.flat() : headers;
  for (let i = 0; i < flat.length; i += 2) res.removeHeader(String(flat[i]));
  for (let i = 0; i < flat.length; i += 2) res.appendHeader(String(flat[i]), flat[i + 1] as string | string[]);
}

/** Splits writeHead's arguments: the headers object or list, if any, comes off the end. */
export function takeHeaders(rest: unknown[]): object | undefined {
  return rest.length > 0 && typeof rest[rest.length - 1] === 'object' && rest[rest.length - 1] !== null
    ? (rest.pop() as object)
    : undefined;
}

/** A Node response's own headers, as the shared rules read them, appending too. */
export function nodeHeaders(res: ServerResponse): HeaderAccess & { append(name: string, value: string): void } {
  return {
    append: (name, value) => {
      res.appendHeader(name, value);
    },
    get: (name) => res.getHeader(name),
    set: (name, value) => {
      res.setHeader(name, value);
    },
    remove: (name) => {
      res.removeHeader(name);
    },
    names: () => res.getHeaderNames(),
  };
}

/**
 * When an identified response is private: `always` (the rules already chose it), or `html-page` (a
 * page the app renders where the rules never ran, such as an outer error handler's, which may print
 * the identity): private when it is HTML of 200 or an error status, as the rules would have said.
 */
export type PrivateWhen = 'always' | 'html-page';

/**
 * Keeps this one response private as its headers go out, whoever changed them after the rules ran
 * (a koa-etag or caching middleware around ours, a Fastify onSend hook registered after the plugin,
 * hono/etag on Node): Cache-Control made private again, no Expires, no CDN caching header, no
 * validator, in the response and in the headers handed to writeHead. Where something wrapped
 * writeHead before us (on-headers, compression), its listeners run after our check: they are
 * filtered as they set headers.
 */
export function keepPrivateOnWriteHead(res: ServerResponse, when: PrivateWhen = 'always'): void {
  const wrappedBefore = Object.hasOwn(res, 'writeHead');
  const writeHead = res.writeHead as unknown as WriteHead;
  let sending = false;
  (res as unknown as { writeHead: WriteHead }).writeHead = function (this: ServerResponse, statusCode: unknown, ...rest: unknown[]) {
    if (this.headersSent) return writeHead.call(this, statusCode, ...rest);
    const headers = takeHeaders(rest);
    if (Array.isArray(headers)) setHeaders(this, headers);
    const given = headers && !Array.isArray(headers) ? (headers as Record<string, unknown>) : undefined;
    if (
      when === 'html-page' &&
      !(statusTakesScript(Number(statusCode)) && isHtml(headerIn(given, 'content-type') ?? this.getHeader('Content-Type')))
    ) {
      return writeHead.call(this, statusCode, ...rest, ...(given ? [given] : []));
    }
    // Headers only in the object stay out of the response, so that Node takes the object as it is.
    if (!given || this.getHeaderNames().length > 0) makePrivate(nodeHeaders(this));
    sending = true;
    // An object (Fastify's, @hono/node-server's) goes on to Node as it came, made private: setting
    // each of its headers on the response first would have Node check every one twice.
    return writeHead.call(this, statusCode, ...rest, ...(given ? [privateHeaders(given)] : []));
  };
  // The inner wrappers' listeners set their headers once our writeHead has run: those are filtered.
  if (wrappedBefore) filterLaterHeaders(res, () => sending);
}

/**
 * From when `active()` says so until the headers are sent, headers set on this response follow the
 * private rules (privateHeaderValue): for listeners of a writeHead wrapped before ours, which run
 * after our check.
 */
export function filterLaterHeaders(res: ServerResponse, active: () => boolean): void {
  const setHeader = res.setHeader as unknown as SetHeader;
  const appendHeader = res.appendHeader as unknown as SetHeader;
  const guarded = res as unknown as Record<'setHeader' | 'appendHeader', SetHeader>;
  guarded.setHeader = function (this: ServerResponse, name: string, value: unknown) {
    if (!active() || this.headersSent) return setHeader.call(this, name, value);
    const kept = privateHeaderValue(name, value);
    return kept === undefined ? this : setHeader.call(this, name, kept);
  };
  guarded.appendHeader = function (this: ServerResponse, name: string, value: unknown) {
    if (!active() || this.headersSent) return appendHeader.call(this, name, value);
    // One Cache-Control, made private from what it was and what is added.
    if (name.toLowerCase() === 'cache-control')
      return setHeader.call(
        this,
        name,
        privateHeaderValue(
          name,
          [this.getHeader(name), value].flat().filter((part) => part !== undefined),
        ),
      );
    const kept = privateHeaderValue(name, value);
    return kept === undefined ? this : appendHeader.call(this, name, kept);
  };
}

/** A header of a writeHead headers object, whatever its case. */
function headerIn(headers: Record<string, unknown> | undefined, lowerName: string): unknown {
  if (!headers) return undefined;
  for (const name of Object.keys(headers)) if (name.toLowerCase() === lowerName) return headers[name];
  return undefined;
}

/** A writeHead headers object made private; the very same object when it already is. */
function privateHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const kept = privateHeaderValue(name, value);
    if (kept === value) continue;
    copy ??= { ...headers };
    if (kept === undefined) delete copy[name];
    else copy[name] = kept;
  }
  return copy ?? headers;
}
