// The shared adapter cases, against Express.
import { runSharedCases } from './cases.js';
import { expressHarness } from './express-app.js';

runSharedCases(expressHarness);
