// The token route for client components (identifyWidget({ route: '/hubspot/token' })).
import { tokenRouteHandler } from 'hubspot-identify/fetch';
import { hubspotOptions } from '../../../lib/hubspot';

export const GET = tokenRouteHandler(hubspotOptions);
