// Real headless Chromium (Debian's /usr/bin/chromium) through playwright-core, kept off the network.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Chromium with the suite's flags, and any the test adds (such as --host-resolver-rules). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (.ci/run does).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs],
  });
}

/** The user from the `user` cookie, as a session middleware would give it. */
export function userFromCookie(cookie: string | null | undefined): { email: string } | undefined {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(cookie ?? '')?.[1];
  return value ? { email: decodeURIComponent(value) } : undefined;
}
