// Values that are often at hand and sometimes awaited: cache hits stay synchronous, so pages skip a tick.
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}

/** Applies `next` now to a plain value, or once a promise settles. (Not named `then`: a module exporting `then` is itself a thenable.) */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
