// Real headless Chromium (Debian's /usr/bin/chromium) through playwright-core, kept off the network, and what its tests serve it.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Every *.hsi.test name resolves to this machine; hsi.test is registrable, so its subdomains are siblings of one site. */
export const HSI_TEST_HOSTS = '--host-resolver-rules=MAP *.hsi.test 127.0.0.1';

/** Chromium with the suite's flags, and any the test adds (such as --host-resolver-rules). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (.ci/run does).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...extraArgs,
    ],
  });
}

/**
 * The flag that makes Chromium treat these plain-http origins as it treats https ones: it then sends
 * Fetch Metadata (Sec-Fetch-Site, Sec-Fetch-Dest), which it never sends to an untrustworthy http origin.
 */
export function treatAsSecure(origins: string[]): string {
  return `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`;
}

/** The user from the `user` cookie, as a session middleware would give it. */
export function userFromCookie(cookie: string | null | undefined): { email: string } | undefined {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(cookie ?? '')?.[1];
  return value ? { email: decodeURIComponent(value) } : undefined;
}

/** A server on a free loopback port, and how to stop it with its open connections. */
export interface LoopbackServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function serveOnLoopback(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * hubspot-identify/browser as a page imports it: each of src/browser's modules compiled to
 * JavaScript as it is (no build needed), by file name (`index.js`, `page.js`).
 */
export async function browserEntryModules(): Promise<Map<string, string>> {
  // Loaded here only: the other browser tests import this file and need no compiler.
  const { default: ts } = await import('typescript');
  const modules = new Map<string, string>();
  const folder = new URL('../../src/browser/', import.meta.url);
  for (const file of (await readdir(folder)).filter((entry) => entry.endsWith('.ts'))) {
    const name = file.slice(0, -'.ts'.length);
    const source = await readFile(new URL(file, folder), 'utf8');
    const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    modules.set(`${name}.js`, ts.transpileModule(source, { compilerOptions }).outputText);
  }
  return modules;
}
