// The shared adapter cases, against Koa.
import { runSharedCases } from './cases.js';
import { koaHarness } from './koa-app.js';

runSharedCases(koaHarness);
