// One Chromium tab per runtime test file, whatever number of apps it starts: launched when first asked for, closed after the file's tests.
import type { Browser, Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { launchChromium } from '../../helpers/browser.js';

let launched: Promise<{ browser: Browser; tab: Page }> | undefined;

async function launch(): Promise<{ browser: Browser; tab: Page }> {
  const browser = await launchChromium();
  // One context and one tab for every visit: a new context costs half a second, a visit clears its cookies instead.
  return { browser, tab: await (await browser.newContext()).newPage() };
}

/** For an app's set-up: the file's tab, opened at the first call (a set-up starts it beside its app). */
export function useChromiumTab(): () => Promise<Page> {
  afterAll(async () => {
    const opened = launched;
    launched = undefined;
    await (await opened?.catch(() => undefined))?.browser.close();
  });
  return async () => {
    if (!launched) {
      launched = launch();
      // Started ahead of its use: a failed launch is each check's failure, never an unhandled rejection.
      launched.catch(() => undefined);
    }
    return (await launched).tab;
  };
}
