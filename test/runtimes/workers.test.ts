// hubspot-identify/fetch as a user installs it, on workerd through wrangler dev, for a Worker created today (Node.js compatibility on by default).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useFetchApp } from './helpers/fetch-apps.js';
import { APPS } from './helpers/installs.js';
import { webEntryCases } from './helpers/web-cases.js';

// The widget check in Chromium is in web-native.test.ts: the script fails there today (wrangler's bundler names functions with __name).
const app = useFetchApp({ wrangler: 'wrangler.jsonc' });

describe('Cloudflare Workers (wrangler dev), current compatibility date', () => {
  it('the Worker is on the newest compatibility date the pinned workerd accepts', () => {
    const config = readFileSync(join(APPS, 'fetch/wrangler.jsonc'), 'utf8');
    expect(config).toContain(`"compatibility_date": "${app.runtime()!.compatibilityDate}"`);
  });

  webEntryCases({ ...app, page: '/', streamed: '/streamed', tokenRoute: '/hubspot/token', tokenRouteHandler: '/api/hubspot-token', throwingVisitor: true, inBrowser: false });
});
