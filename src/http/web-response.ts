// The web-standard side of the response rules (fetch handlers, Hono): Request validators, Response headers and ReadableStream bodies.
import { StreamingInjector } from '../html/inject-stream.js';
import { injectIntoHtmlAsBytes } from '../html/inject.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import type { InjectOutcome } from '../html/inject.js';
import type { HeaderAccess } from './response-policy.js';
import { CONDITIONALS } from './cache-headers.js';

/** What a page's response carries, as the page flow's Visit gives it. */
export interface Carrier {
  /** The rules applied to the response's headers; whether to inject its body. */
  respond(status: number, headers: HeaderAccess): MaybePromise<'untouched' | 'private' | 'inject'>;
  /** The script element to inject. */
  readonly tag: string;
  /** The same as the parts a whole body is injected with. */
  readonly tagParts: string | readonly string[];
  /** Whether the page carries the logout marker's Set-Cookie, which waits until the body shows it takes the script. */
  readonly marks: boolean;
  /** Appends the logout marker's Set-Cookie, when the page carries one. */
  deliver(headers: HeaderAccess & { append(name: string, value: string): void }): void;
  /** Says once when the page had nowhere to inject; whether the page takes the script. */
  noteOutcome(outcome: InjectOutcome | undefined, metaPolicies?: readonly string[]): boolean;
}

/**
 * The response's headers as the rules read them, copied on the first write: a Response's own
 * headers may be immutable (fetch() answers, Response.redirect), and a response the rules leave
 * untouched costs no copy. Set-Cookie reads as its list (Headers.get joins it with commas).
 */
function copyOnWrite(original: Headers): HeaderAccess & { append(name: string, value: string): void; copy(): Headers | undefined } {
  let copy: Headers | undefined;
  const writable = () => (copy ??= new Headers(original));
  const current = () => copy ?? original;
  return {
    get: (name) => (name.toLowerCase() === 'set-cookie' ? current().getSetCookie() : (current().get(name) ?? undefined)),
    set: (name, value) => {
      const headers = writable();
      if (!Array.isArray(value)) return headers.set(name, value);
      headers.delete(name);
      for (const item of value) headers.append(name, item);
    },
    append: (name, value) => writable().append(name, value),
    remove: (name) => {
      if (current().has(name)) writable().delete(name);
    },
    names: () => {
      const names: string[] = [];
      current().forEach((_value, name) => {
        names.push(name);
      });
      return names;
    },
    copy: () => copy,
  };
}

const encoder = new TextEncoder();
const toBytes = (chunk: Uint8Array | string): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk);

/** One buffer of these pieces (the usual whole page is one piece already). */
function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

// A read's result if the source has it at hand (a body already in memory, as a string or bytes
// Response has), else undefined: a few microtasks, never a timer, as @hono/node-server reads bodies.
const readyNow = <T>(read: Promise<T>): Promise<T | undefined> =>
  Promise.race([read, Promise.resolve().then(() => Promise.resolve(undefined))]);

/** The injected body: whole bytes when the source had all of it at hand, else a stream; and whether the page takes the script. */
interface InjectedBody {
  body: Uint8Array | ReadableStream<Uint8Array>;
  /** Reads ahead until the page shows whether it takes the script (its insertion point passed, or its end). */
  delivered(): MaybePromise<boolean>;
}

/**
 * The body stream's HTML with the script injected; bytes in, bytes out. What the source has at hand
 * is injected at once: a whole page (a string or bytes Response) comes back as one buffer, which
 * runtimes write in one go, without a stream per response. The rest, if any, follows as a stream
 * injected on the fly, picking up the read in flight.
 */
async function injectingBody(carrier: Carrier, source: ReadableStream<Uint8Array | string>): Promise<InjectedBody> {
  const injector = new StreamingInjector(carrier.tag);
  const queued: Uint8Array[] = [];
  let ended = false;
  let takes = false;
  const took = (done: boolean, value: Uint8Array | string | undefined) => {
    if (!done) return void queued.push(...injector.push(toBytes(value!)));
    ended = true;
    queued.push(...injector.end());
    takes = carrier.noteOutcome(injector.outcome, injector.metaPolicies);
  };
  const reader = source.getReader();
  let inFlight: Promise<ReadableStreamReadResult<Uint8Array | string>> | undefined;
  while (!ended) {
    const read = reader.read();
    // A read that fails is left in flight: the stream below fails with it, where the runtime sees it.
    const result = await readyNow(read).catch(() => undefined);
    if (result === undefined) {
      inFlight = read;
      break;
    }
    took(result.done, result.value);
  }
  const takesScript = () => (ended ? takes : injector.outcome === 'injected' || injector.outcome === 'present');
  if (ended) return { body: concat(queued), delivered: takesScript };
  // One read at a time, whoever asks: the stream pulls as soon as it is made, and delivered() must
  // see that first chunk, not wait for the next (a streamed page's rest, maybe seconds later).
  let stepping: Promise<void> | undefined;
  const read = async () => {
    const { done, value } = await (inFlight ?? reader.read());
    inFlight = undefined;
    took(done, value);
  };
  const step = () =>
    (stepping ??= read().finally(() => {
      stepping = undefined;
    }));
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (queued.length === 0 && !ended) await step();
      for (const piece of queued.splice(0)) controller.enqueue(piece);
      if (ended) controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const delivered = async () => {
    while (injector.outcome === undefined && !ended) await step();
    return takesScript();
  };
  return { body, delivered };
}

/**
 * The request an identified page load's handler sees: without the validators (If-None-Match,
 * If-Modified-Since) that could match a page cached for someone else, so the handler cannot answer
 * 304. The very same request when it has none (or cannot be copied).
 */
export function withoutValidators(request: Request): Request {
  try {
    if (!CONDITIONALS.some((name) => request.headers.has(name))) return request;
    const headers = new Headers(request.headers);
    for (const name of CONDITIONALS) headers.delete(name);
    return new Request(request, { headers });
  } catch {
    // A request that cannot be copied (an exotic runtime's own class) goes on as it came: a 304 it
    // gets is left untouched, so the page works; only the validator rule is lost for it.
    return request;
  }
}

/**
 * The response a page load sends, by the rules the carrier applies: HTML of 200 and error pages
 * carrying the script becomes private (CSP hash added without a nonce) and, unless encoded or
 * `inject` is off, its body is injected, streamed without being buffered. Every other response
 * comes back as the very same object, and so does the original on any internal failure. The logout
 * marker's Set-Cookie goes only on a page that takes the script: its headers then wait until the
 * body shows that (the insertion point, early in a page; a fragment's end). `text` is the body when
 * the adapter saw the app make it from that string (Hono's c.html), which then need not be read
 * back out of the Response.
 */
export function rewriteResponse(carrier: Carrier, response: Response, text?: string): MaybePromise<Response> {
  try {
    const headers = copyOnWrite(response.headers);
    const verdict = carrier.respond(response.status, headers);
    const finish = (decided: 'untouched' | 'private' | 'inject') => rewritten(carrier, response, headers, decided, text);
    return isPromise(verdict) ? verdict.then(finish, () => response) : finish(verdict);
  } catch {
    // Nothing above touched the original (its body is unread, its headers were copied): the page goes out as the app made it.
    return response;
  }
}

function rewritten(
  carrier: Carrier,
  response: Response,
  headers: ReturnType<typeof copyOnWrite>,
  verdict: 'untouched' | 'private' | 'inject',
  text: string | undefined,
): MaybePromise<Response> {
  try {
    const changed = headers.copy();
    // Body and statusText only now, and not for a known text: on @hono/node-server, reading them
    // makes a full Response (its body re-encoded into a stream) of the lightweight one the app returned.
    if (verdict === 'untouched' || !changed || (text === undefined && response.bodyUsed)) return response;
    const statusText = text === undefined ? response.statusText : '';
    const answer = (body: BodyInit | null) => new Response(body, { status: response.status, statusText, headers: changed });
    // A known text goes on as text: on @hono/node-server, its body as a stream costs more than the page (inject: false).
    if (verdict !== 'inject') return answer(text ?? response.body);
    // The new length is known once injected (a whole body), or only at the end (a stream). HEAD (no body) announces what GET sends.
    changed.delete('Content-Length');
    if (text !== undefined) {
      // A known text is injected here and now, into one buffer with its length: no stream, no await.
      const injected = injectIntoHtmlAsBytes(text, carrier.tagParts);
      if (carrier.noteOutcome(injected.outcome, injected.metaPolicies)) carrier.deliver(headers);
      changed.set('Content-Length', String(injected.body.length));
      return answer(injected.body as BodyInit);
    }
    const source = response.body;
    if (source === null) {
      carrier.deliver(headers);
      return answer(null);
    }
    const withMarker = (injected: InjectedBody, delivered: boolean) => {
      if (delivered) carrier.deliver(headers);
      return answer(injected.body as BodyInit);
    };
    const settle = (injected: InjectedBody) => {
      // Said here, not left to the runtime: a HEAD answered from the GET response (Hono) keeps it.
      if (injected.body instanceof Uint8Array) changed.set('Content-Length', String(injected.body.length));
      if (!carrier.marks) return answer(injected.body as BodyInit);
      const delivered = injected.delivered();
      // A body that fails before its insertion point goes out without the marker and fails as it would have.
      return isPromise(delivered)
        ? delivered.then(
            (value) => withMarker(injected, value),
            () => withMarker(injected, false),
          )
        : withMarker(injected, delivered);
    };
    return injectingBody(carrier, source).then(settle, () => response);
  } catch {
    return response;
  }
}

/** A `tokenRoute` answer as a Response. */
export function tokenRouteResponse(
  answer: { status: number; headers: Record<string, string>; setCookie?: string; body: string },
  method: string,
): Response {
  const headers = new Headers(answer.headers);
  if (answer.setCookie) headers.append('Set-Cookie', answer.setCookie);
  return new Response(method === 'HEAD' ? null : answer.body, { status: answer.status, headers });
}
