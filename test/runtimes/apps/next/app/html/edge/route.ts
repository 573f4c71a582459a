// An HTML route handler on the Edge runtime, wrapped by hubspot-identify/fetch.
import { withHubSpotIdentify } from 'hubspot-identify/fetch';
import { hubspotOptions } from '../../../lib/hubspot';
import { htmlPage } from '../../../lib/html-page';

export const runtime = 'edge';
export const dynamic = 'force-dynamic';

export const GET = withHubSpotIdentify((request: Request) => htmlPage(request, 'edge route'), hubspotOptions);
