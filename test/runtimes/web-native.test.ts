// What holds once the package runs on web APIs alone: workerd without Node.js compatibility, an older nodejs_compat Worker (web timers), the Next.js Edge runtime, and the script surviving a Worker's bundler in Chromium.
import { describe } from 'vitest';
import { useFetchApp } from './helpers/fetch-apps.js';
import { layoutComponentCases, useNextApp } from './helpers/next-app.js';
import { webEntryCases, widgetCases } from './helpers/web-cases.js';

const FETCH_APP = { page: '/', streamed: '/streamed', tokenRoute: '/hubspot/token', tokenRouteHandler: '/api/hubspot-token', throwingVisitor: true };

describe('Cloudflare Workers without Node.js compatibility (current date, no_nodejs_compat and no_nodejs_compat_v2)', () => {
  const app = useFetchApp({ wrangler: 'wrangler.no-nodejs-compat.jsonc' });
  webEntryCases({ ...app, ...FETCH_APP });
});

describe('Cloudflare Workers with nodejs_compat on an older compatibility date (2024-09-23): web timers, which have no unref', () => {
  const app = useFetchApp({ wrangler: 'wrangler.old-date.jsonc' });
  webEntryCases({ ...app, ...FETCH_APP, inBrowser: false });
});

describe("Cloudflare Workers as created today, in Chromium: the page's script survives wrangler's bundler (esbuild keepNames)", () => {
  const app = useFetchApp({ wrangler: 'wrangler.jsonc' });
  widgetCases({ ...app, page: '/' });
});

describe('Next.js Edge runtime: the layout component and route handlers', () => {
  const app = useNextApp('edge', { typecheck: false });
  layoutComponentCases(app, { page: '/edge' });
  webEntryCases({ ...app, page: '/html/edge', streamed: '/html/edge/streamed', tokenRouteHandler: '/hubspot/edge-token', throwingVisitor: true });
});
