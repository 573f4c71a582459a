// The app's HubSpot wiring, made once per server: the component for the layout and the options the route handlers share.
import { createHubSpotIdentify } from 'hubspot-identify/react';
import type { FetchOptions } from 'hubspot-identify/fetch';

// A real app leaves baseUrl out (HubSpot's own); these tests point it at the fake HubSpot.
const baseUrl = process.env.HUBSPOT_BASE_URL;

export const HubSpotIdentify = createHubSpotIdentify({ baseUrl });

/** The signed-in visitor: a `user` cookie stands in for the app's session (`(await auth())?.user?.email`). */
export function visitorOf(request: Request): string | null {
  const value = /(?:^|;\s*)user=([^;]*)/.exec(request.headers.get('cookie') ?? '')?.[1];
  return value ? decodeURIComponent(value) : null;
}

export const fetchOptions: FetchOptions = {
  baseUrl,
  visitor: visitorOf,
  nonce: (request) => request.headers.get('x-nonce'),
};
