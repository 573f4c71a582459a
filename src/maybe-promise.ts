// Values that are often at hand and sometimes awaited: cache hits stay synchronous, so pages skip a tick.
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}


/** What within() resolves to when the promise did not settle in time. */
export const LATE: unique symbol = Symbol('hubspot-identify.late');

/** The promise's value, or LATE when it has not settled after `ms` (it goes on, unwatched). Rejects as the promise does. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
