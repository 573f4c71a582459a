// Cloudflare Workers: the app's fetch handler wrapped by hubspot-identify/fetch, as the Worker's default export.
import { env } from 'cloudflare:workers';
import { tokenRouteHandler, withHubSpotIdentify } from 'hubspot-identify/fetch';
import { createPages, visitorOf } from './pages.mjs';

// Bindings (secrets and vars) come from cloudflare:workers' env, at module level. baseUrl points at the fake HubSpot.
const accessToken = env.HUBSPOT_ACCESS_TOKEN;
const baseUrl = env.HUBSPOT_BASE_URL;
const handler = withHubSpotIdentify(createPages({ loaderUrl: env.HUBSPOT_LOADER_URL }), {
  accessToken,
  visitor: visitorOf,
  tokenRoute: '/hubspot/token',
  baseUrl,
});
const tokenRoute = tokenRouteHandler({ accessToken, visitor: visitorOf, baseUrl });

export default {
  fetch: (request: Request) => (new URL(request.url).pathname === '/api/hubspot-token' ? tokenRoute(request) : handler(request)),
};
