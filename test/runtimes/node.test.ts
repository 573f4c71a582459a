// hubspot-identify/fetch as a user installs it, on Node.js behind @hono/node-server: the checks every runtime passes.
import { describe } from 'vitest';
import { useFetchApp } from './helpers/fetch-apps.js';
import { webEntryCases } from './helpers/web-cases.js';

const app = useFetchApp('node');

describe(`Node.js ${process.version}`, () => {
  webEntryCases({
    ...app,
    page: '/',
    streamed: '/streamed',
    tokenRoute: '/hubspot/token',
    tokenRouteHandler: '/api/hubspot-token',
    throwingVisitor: true,
  });
});
