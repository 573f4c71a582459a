// An HTML route handler on the Node.js runtime, wrapped by hubspot-identify/fetch.
import { withHubSpotIdentify } from 'hubspot-identify/fetch';
import { hubspotOptions } from '../../../lib/hubspot';
import { htmlPage } from '../../../lib/html-page';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = withHubSpotIdentify((request: Request) => htmlPage(request, 'node route'), hubspotOptions);
