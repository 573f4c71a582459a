// Bun: the app's fetch handler wrapped by hubspot-identify/fetch, served by Bun.serve.
import { tokenRouteHandler, withHubSpotIdentify } from 'hubspot-identify/fetch';
import { createPages, visitorOf } from './pages.mjs';

// The access token comes from HUBSPOT_ACCESS_TOKEN (process.env), the default. baseUrl points at the fake HubSpot.
const baseUrl = process.env.HUBSPOT_BASE_URL;
const handler = withHubSpotIdentify(createPages({ loaderUrl: process.env.HUBSPOT_LOADER_URL }), {
  visitor: visitorOf,
  tokenRoute: '/hubspot/token',
  baseUrl,
});
const tokenRoute = tokenRouteHandler({ visitor: visitorOf, baseUrl });

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch: (request) => (new URL(request.url).pathname === '/api/hubspot-token' ? tokenRoute(request) : handler(request)),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
