// One Chromium per runtime test file, whatever number of apps it starts: launched when first asked for, closed after the file's tests.
import type { Browser } from 'playwright-core';
import { afterAll } from 'vitest';
import { launchChromium } from '../../helpers/browser.js';

let launched: Promise<Browser> | undefined;

/** For an app's set-up: the file's Chromium, launched at the first call (a set-up starts it beside its app). */
export function useChromium(): () => Promise<Browser> {
  afterAll(async () => {
    const browser = launched;
    launched = undefined;
    await (await browser?.catch(() => undefined))?.close();
  });
  return () => {
    if (!launched) {
      launched = launchChromium();
      // Started ahead of its use: a failed launch is each check's failure, never an unhandled rejection.
      launched.catch(() => undefined);
    }
    return launched;
  };
}
