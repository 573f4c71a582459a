// Racing work against time: within() says LATE, bounded() rejects, and neither leaves a rejection unhandled.
import { describe, expect, it } from 'vitest';
import { after, bounded, LATE, sleep, within } from '../src/timers.js';

describe('within', () => {
  it('gives the value when the promise settles in time, and LATE when it does not', async () => {
    expect(await within(Promise.resolve(1), 50)).toBe(1);
    expect(await within(new Promise(() => undefined), 10)).toBe(LATE);
  });

  it('rejects as the promise does in time; a rejection after LATE is handled, not left to the process', async () => {
    await expect(within(Promise.reject(new Error('boom')), 50)).rejects.toThrow('boom');
    const unhandled: unknown[] = [];
    const listen = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', listen);
    try {
      const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 20));
      expect(await within(late, 5)).toBe(LATE);
      await sleep(40);
    } finally {
      process.off('unhandledRejection', listen);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('bounded', () => {
  it('settles as the call does, and rejects with the given error when it hangs or throws synchronously', async () => {
    expect(
      await bounded(
        () => 2,
        50,
        () => new Error('slow'),
      ),
    ).toBe(2);
    expect(
      await bounded(
        async () => 3,
        50,
        () => new Error('slow'),
      ),
    ).toBe(3);
    await expect(
      bounded(
        () => new Promise(() => undefined),
        10,
        () => new Error('slow'),
      ),
    ).rejects.toThrow('slow');
    await expect(
      bounded(
        () => {
          throw new Error('sync');
        },
        50,
        () => new Error('slow'),
      ),
    ).rejects.toThrow('sync');
  });
});

describe('after', () => {
  it('runs once after the delay unless cancelled', async () => {
    let runs = 0;
    after(5, () => runs++);
    const cancel = after(5, () => runs++);
    cancel();
    await sleep(30);
    expect(runs).toBe(1);
  });
});
