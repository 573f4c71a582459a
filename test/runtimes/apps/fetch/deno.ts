// Deno: the app's fetch handler wrapped by hubspot-identify/fetch, served by Deno.serve.
import { tokenRouteHandler, withHubSpotIdentify } from 'hubspot-identify/fetch';
import { createPages, visitorOf } from './pages.mjs';

// Deno reads the environment through Deno.env (with --allow-env). baseUrl points at the fake HubSpot.
const accessToken = Deno.env.get('HUBSPOT_ACCESS_TOKEN');
const baseUrl = Deno.env.get('HUBSPOT_BASE_URL');
const handler = withHubSpotIdentify(createPages({ loaderUrl: Deno.env.get('HUBSPOT_LOADER_URL') }), {
  accessToken,
  visitor: visitorOf,
  tokenRoute: '/hubspot/token',
  baseUrl,
});
const tokenRoute = tokenRouteHandler({ accessToken, visitor: visitorOf, baseUrl });

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 3000),
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  },
  (request) => (new URL(request.url).pathname === '/api/hubspot-token' ? tokenRoute(request) : handler(request)),
);
