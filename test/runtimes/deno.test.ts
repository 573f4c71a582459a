// hubspot-identify/fetch as a user installs it, on Deno (Deno.serve, the fewest permissions): the checks every runtime passes.
import { describe } from 'vitest';
import { useFetchApp } from './helpers/fetch-apps.js';
import { webEntryCases } from './helpers/web-cases.js';

const app = useFetchApp('deno');

describe('Deno', () => {
  webEntryCases({
    ...app,
    page: '/',
    streamed: '/streamed',
    tokenRoute: '/hubspot/token',
    tokenRouteHandler: '/api/hubspot-token',
    throwingVisitor: true,
  });
});
