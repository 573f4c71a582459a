// Runs one README sample as a user would, with HubSpot's API on the fake: `node run-sample.mjs <how> <sample file> [path]`.
//
// The samples carry no test-only line, so what a test needs is set up here, before the sample loads:
// calls to https://api.hubapi.com go to the fake HubSpot at FAKE_HUBSPOT_URL, `@/auth` (a Next.js
// app's own module) resolves to a stand-in, and the process ends when the test's end of stdin closes,
// so a test worker that dies leaves no sample running.
//   server        the sample listens on PORT itself
//   fetch-export  the sample's default export is `{ fetch }` (Bun, Deno): served here on PORT
//   route-export  the sample exports GET, a route handler (Next.js): served here on PORT at `path`
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const [how, file, path] = process.argv.slice(2);

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const HUBSPOT = 'https://api.hubapi.com';
const fake = new URL(process.env.FAKE_HUBSPOT_URL);
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.origin !== HUBSPOT) return realFetch(input, init);
  const onFake = new URL(url.pathname + url.search, fake);
  return input instanceof Request ? realFetch(new Request(onFake, input), init) : realFetch(onFake, init);
};

register('./app-alias-hooks.mjs', import.meta.url);

const sample = await import(pathToFileURL(file).href);
const port = Number(process.env.PORT);

if (how === 'fetch-export' || how === 'route-export') {
  const { serve } = await import('@hono/node-server');
  const fetch =
    how === 'fetch-export'
      ? sample.default.fetch
      : (request) => (new URL(request.url).pathname === path ? sample.GET(request) : new Response('Not found', { status: 404 }));
  serve({ fetch, port });
} else if (how !== 'server') {
  throw new Error(`Unknown way to run a sample: ${how}`);
}
