// The last moment before a Node response's headers go out (writeHead), where what other middleware added after the rules ran can still be undone.
import type { ServerResponse } from 'node:http';
import { VALIDATORS } from './response-policy.js';

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

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
  return rest.length > 0 && typeof rest[rest.length - 1] === 'object' && rest[rest.length - 1] !== null ? (rest.pop() as object) : undefined;
}

/**
 * Makes this one response go out without a validator (ETag, Last-Modified), whoever adds it after
 * the rules ran: a koa-etag registered before the middleware, a Fastify onSend hook registered after
 * it (which passes its headers to writeHead). For responses that carry an identity only.
 */
export function dropValidatorsOnWriteHead(res: ServerResponse): void {
  const writeHead = res.writeHead as unknown as WriteHead;
  (res as unknown as { writeHead: WriteHead }).writeHead = function (this: ServerResponse, statusCode: unknown, ...rest: unknown[]) {
    if (this.headersSent) return writeHead.call(this, statusCode, ...rest);
    const headers = takeHeaders(rest);
    for (const name of VALIDATORS) this.removeHeader(name);
    if (!headers) return writeHead.call(this, statusCode, ...rest);
    if (Array.isArray(headers)) {
      setHeaders(this, headers);
      for (const name of VALIDATORS) this.removeHeader(name);
      return writeHead.call(this, statusCode, ...rest);
    }
    // An object (Fastify's, @hono/node-server's) goes on to Node as it came, less its validators:
    // setting each of its headers on the response first would have Node check every one twice.
    return writeHead.call(this, statusCode, ...rest, withoutValidators(headers as Record<string, unknown>));
  };
}

// VALIDATORS as Node's lower-cased names.
const VALIDATOR_NAMES = new Set(VALIDATORS.map((name) => name.toLowerCase()));

/** A headers object without its validators, whatever their case; the very same object when it has none. */
function withoutValidators(headers: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(headers)) {
    if (!VALIDATOR_NAMES.has(name.toLowerCase())) continue;
    copy ??= { ...headers };
    delete copy[name];
  }
  return copy ?? headers;
}
