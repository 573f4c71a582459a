import { runSharedCases } from './cases.js';
import { fastifyHarness } from './fastify-app.js';

runSharedCases(fastifyHarness);
