// The one place timers are set: racing work against time, and waiting, on any runtime's setTimeout.

/**
 * Runs `run` after `ms` and returns what cancels it. The timer never keeps a Node process alive on
 * its own; where setTimeout returns a number (Cloudflare Workers, browsers, Deno) there is nothing to
 * unref (calling it unguarded answered 500 on Workers: "timer.unref is not a function").
 */
export function after(ms: number, run: () => void): () => void {
  const timer = setTimeout(run, ms);
  (timer as { unref?: () => unknown }).unref?.();
  return () => clearTimeout(timer);
}

/** What within() resolves to when the promise did not settle in time. */
export const LATE: unique symbol = Symbol('hubspot-identify.late');

/** The promise's value, or LATE when it has not settled after `ms` (it goes on, unwatched). Rejects as the promise does. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof LATE> {
  return new Promise((resolve, reject) => {
    const cancel = after(ms, () => resolve(LATE));
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

/**
 * What `call` settles to, or a rejection with `makeError()` when it has not settled after `ms`.
 * A call that throws synchronously rejects too, so a store's own bugs stay inside the promise.
 */
export function bounded<T>(call: () => T | Promise<T>, ms: number, makeError: () => Error): Promise<T> {
  return within(Promise.resolve().then(call), ms).then((value) => {
    if (value === LATE) throw makeError();
    return value;
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    after(ms, resolve);
  });
}
