// hubspot-identify/fetch as a user installs it, on workerd through wrangler dev: a Worker without Node.js compatibility at the current compatibility date, and one with nodejs_compat on an older date.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useFetchApp } from './helpers/fetch-apps.js';
import { APPS } from './helpers/installs.js';
import { webEntryCases } from './helpers/web-cases.js';

const ROUTES = {
  page: '/',
  streamed: '/streamed',
  tokenRoute: '/hubspot/token',
  tokenRouteHandler: '/api/hubspot-token',
  throwingVisitor: true,
};

// Both Workers start side by side; each describe waits for its own.
const webOnly = useFetchApp({ wrangler: 'wrangler.jsonc' });
const oldDate = useFetchApp({ wrangler: 'wrangler.old-date.jsonc' });

describe('Cloudflare Workers without Node.js compatibility (no_nodejs_compat, no_nodejs_compat_v2), current compatibility date', () => {
  it('the Worker is on the newest compatibility date the pinned workerd accepts, with Node.js compatibility off', () => {
    const config = readFileSync(join(APPS, 'fetch/wrangler.jsonc'), 'utf8');
    expect(config).toContain(`"compatibility_date": "${webOnly.runtime()!.compatibilityDate}"`);
    expect(config).toContain('"compatibility_flags": ["no_nodejs_compat", "no_nodejs_compat_v2"]');
  });

  // In Chromium too: the page's script survives wrangler's bundler (esbuild's keepNames, on by default).
  webEntryCases({ ...webOnly, ...ROUTES });
});

describe('Cloudflare Workers with nodejs_compat on compatibility date 2024-09-23: process.env, and web timers, which have no unref', () => {
  webEntryCases({ ...oldDate, ...ROUTES, inBrowser: false });
});
