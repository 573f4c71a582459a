// The shared adapter cases, against Hono.
import { runSharedCases } from './cases.js';
import { honoHarness } from './hono-app.js';

runSharedCases(honoHarness);
