// The shared adapter cases, against Fastify.
import { runSharedCases } from './cases.js';
import { fastifyHarness } from './fastify-app.js';

runSharedCases(fastifyHarness);
