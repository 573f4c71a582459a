// The shared adapter cases, against a fetch handler wrapped with withHubSpotIdentify.
import { runSharedCases } from './cases.js';
import { fetchHarness } from './fetch-app.js';

runSharedCases(fetchHarness);
