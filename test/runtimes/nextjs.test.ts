// A Next.js 16 app as its users write it, built once with the packed package and served by `next start`: the layout's server component and route handlers, on the Node.js and Edge runtimes.
import { describe } from 'vitest';
import { layoutComponentCases, useNextApp } from './helpers/next-app.js';
import { webEntryCases } from './helpers/web-cases.js';

const app = useNextApp();

describe('Next.js, Node.js runtime: the root layout renders <HubSpotIdentify> (hubspot-identify/react)', () => {
  layoutComponentCases(app, { page: '/', streamed: '/streamed' });
});

describe('Next.js, Edge runtime: the root layout renders <HubSpotIdentify> (hubspot-identify/react)', () => {
  layoutComponentCases(app, { page: '/edge', streamed: '/edge/streamed' });
});

describe('Next.js, Node.js runtime: route handlers wrapped by hubspot-identify/fetch', () => {
  webEntryCases({
    ...app,
    page: '/html/node',
    streamed: '/html/node/streamed',
    tokenRouteHandler: '/hubspot/token',
    throwingVisitor: true,
  });
});

describe('Next.js, Edge runtime: route handlers wrapped by hubspot-identify/fetch', () => {
  webEntryCases({
    ...app,
    page: '/html/edge',
    streamed: '/html/edge/streamed',
    tokenRouteHandler: '/hubspot/edge-token',
    throwingVisitor: true,
  });
});
