// The web-standard Response rewrite (fetch handlers, Hono): the same rules as the Node adapters, over Headers and ReadableStream.
import type { Identity } from '../identifier.js';
import { isHtml } from './page-load.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { PageStep, RequestIdentifier, TokenRouteAnswer } from './request-identifier.js';
import { allowScriptByHash, makePrivate, statusTakesScript, type HeaderAccess } from './response-policy.js';

const SCRIPT_END = '</script>';

function headerAccess(headers: Headers): HeaderAccess {
  return {
    get: (name) => headers.get(name) ?? undefined,
    set: (name, value) => {
      if (!Array.isArray(value)) return headers.set(name, value);
      headers.delete(name);
      for (const item of value) headers.append(name, item);
    },
    remove: (name) => headers.delete(name),
  };
}

/** The text inside the identity's script element, as a CSP hash covers it. */
function scriptText(scriptTag: string): string {
  return scriptTag.slice(scriptTag.indexOf('>') + 1, scriptTag.length - SCRIPT_END.length);
}

/** A stream that passes HTML through, injecting the identity's script on the fly; bytes in, bytes out. */
function injectingStream(hs: RequestIdentifier<any, any>, identity: Identity): TransformStream<Uint8Array | string, Uint8Array> {
  const injector = hs.core.createInjector(identity);
  return new TransformStream({
    transform(chunk, controller) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const piece of injector.push(bytes)) controller.enqueue(piece);
    },
    flush(controller) {
      for (const piece of injector.end()) controller.enqueue(piece);
      hs.core.noteOutcome(injector.outcome);
    },
  });
}

/**
 * The response an identified request sends. Only HTML of 200 and error pages changes: it becomes
 * private (it carries the identity, or may: the handler had it) and, unless it is encoded or
 * `inject` is off, its body is streamed through the injector without being buffered. Every other
 * response comes back as the very same object. On any internal failure, the original comes back.
 * `setCookie` (the logout marker's) is appended to the HTML that changes.
 */
export function rewriteResponse(hs: RequestIdentifier<any, any>, identity: Identity, response: Response, compressionHint: string, setCookie?: string): Response {
  try {
    if (!statusTakesScript(response.status) || !isHtml(response.headers.get('Content-Type'))) return response;
    if (response.bodyUsed) return response;
    // A copy: a Response's own headers may be immutable (fetch() answers, Response.redirect).
    const headers = new Headers(response.headers);
    const access = headerAccess(headers);
    makePrivate(access);
    if (setCookie) headers.append('Set-Cookie', setCookie);
    let body: ReadableStream<Uint8Array> | null = response.body;
    if (hs.shouldRewrite(headers.get('Content-Type'), headers.get('Content-Encoding'), compressionHint)) {
      // Streamed: the new length is known only at the end. HEAD (no body) announces what GET sends.
      headers.delete('Content-Length');
      if (!identity.scriptTag.includes(' nonce="')) allowScriptByHash(access, scriptText(identity.scriptTag));
      if (body) body = body.pipeThrough(injectingStream(hs, identity));
    }
    return new Response(body as BodyInit | null, { status: response.status, statusText: response.statusText, headers });
  } catch {
    // Nothing above touched the original (its body is unread, its headers were copied): the page goes out as the app made it.
    return response;
  }
}

/**
 * The response of a request the middleware identified (or not): rewritten for its identity, or its
 * logout-marker step (made with markIdentified before the handler ran); an anonymous page that
 * arrives with the marker gets the reset script and the marker expired.
 */
export function pageResponse<Req, Res>(
  hs: RequestIdentifier<Req, Res>, req: Req, res: Res, identity: Identity | null, step: PageStep | undefined, response: Response, compressionHint: string,
): MaybePromise<Response> {
  if (identity) return rewriteResponse(hs, step ? step.carried : identity, response, compressionHint, step?.setCookie);
  const reset = hs.markAnonymous(req, res);
  const apply = (found: PageStep | undefined) => (found ? rewriteResponse(hs, found.carried, response, compressionHint, found.setCookie) : response);
  return isPromise(reset) ? reset.then(apply, () => response) : apply(reset);
}

/** The `tokenRoute` answer as a Response: JSON, never cached. */
export function tokenRouteResponse({ status, body }: TokenRouteAnswer): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } });
}
