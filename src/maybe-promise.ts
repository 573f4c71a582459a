// Values that are often at hand and sometimes awaited: cache hits stay synchronous, so pages skip a tick.
export type MaybePromise<T> = T | Promise<T>;

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}

// Racing a pending value against time lives with the other timers; importable here as before.
export { LATE, within } from './timers.js';
