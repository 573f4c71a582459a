// A Next.js 16 app as its users write it, built with the packed package and served by `next start`: the layout's server component and route handlers, Node.js runtime.
import { describe } from 'vitest';
import { layoutComponentCases, useNextApp } from './helpers/next-app.js';
import { webEntryCases } from './helpers/web-cases.js';

const app = useNextApp('node', { typecheck: true });

describe('Next.js: the root layout renders <HubSpotIdentify> (hubspot-identify/react), Node.js runtime', () => {
  layoutComponentCases(app, { page: '/', streamed: '/streamed' });
});

describe('Next.js: route handlers wrapped by hubspot-identify/fetch, Node.js runtime', () => {
  webEntryCases({ ...app, page: '/html/node', streamed: '/html/node/streamed', tokenRouteHandler: '/hubspot/token', throwingVisitor: true });
});
