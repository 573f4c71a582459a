// A clock tests move by hand, for the identifier's `now` option.
export function manualClock(start = 1_000_000) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

export const HOUR = 60 * 60 * 1000;

/** Lets pending promise callbacks and timers of 0 ms run. */
export const settle = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const lines: string[] = [];
  return { lines, warn: (message: string) => void lines.push(message) };
}
