// The token route on the Edge runtime.
import { tokenRouteHandler } from 'hubspot-identify/fetch';
import { fetchOptions } from '../../../lib/hubspot';

export const runtime = 'edge';

export const GET = tokenRouteHandler(fetchOptions);
