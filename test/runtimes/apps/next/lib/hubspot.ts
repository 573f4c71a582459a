// The app's HubSpot wiring, made once per server: the component for the layout and the options the route handlers share.
import { createHubSpotIdentify } from 'hubspot-identify/react';
import type { FetchOptions } from 'hubspot-identify/fetch';

// A real app leaves baseUrl out (HubSpot's own); these tests point it at the fake HubSpot.
const baseUrl = process.env.HUBSPOT_BASE_URL;

export const HubSpotIdentify = createHubSpotIdentify({ baseUrl });

/** The signed-in visitor: a `user` cookie stands in for the app's session (`(await auth())?.user?.email`); a session store that fails throws. */
export function visitorOf(request: Request): string | null {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const email = value ? decodeURIComponent(value) : null;
  if (email === 'session-store-down@example.com') throw new Error('the session store is down');
  return email;
}

/**
 * What the route handlers share. `next build` evaluates the route modules, and with them these handlers: the access
 * token is read per request, so the build needs none (the string default would be read, and missed, at build time).
 */
export const hubspotOptions: FetchOptions = {
  accessToken: () => process.env.HUBSPOT_ACCESS_TOKEN,
  baseUrl,
  visitor: visitorOf,
  nonce: (request) => request.headers.get('x-nonce'),
};
