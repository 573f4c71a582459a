// The token route on the Edge runtime.
import { tokenRouteHandler } from 'hubspot-identify/fetch';
import { hubspotOptions } from '../../../lib/hubspot';

export const runtime = 'edge';

export const GET = tokenRouteHandler(hubspotOptions);
