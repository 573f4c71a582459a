// An ES module user: import every entry point and serve one identified page per framework.
import assert from 'node:assert/strict';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createIdentifier } from 'hubspot-identify';
import { hubspotIdentify as expressIdentify } from 'hubspot-identify/express';
import fastifyIdentify, { hubspotIdentify as namedFastifyIdentify } from 'hubspot-identify/fastify';
import { hubspotIdentify as koaIdentify } from 'hubspot-identify/koa';
import { identityOf, tokenRouteHandler, withHubSpotIdentify } from 'hubspot-identify/fetch';
import { hubspotIdentify as honoIdentify } from 'hubspot-identify/hono';
import { Hono } from 'hono';
import { RedisTokenStore } from 'hubspot-identify/redis';
import { startFakeHubSpot } from 'hubspot-identify/testing';

async function page(server) {
  await new Promise((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));
  const response = await fetch(`http://127.0.0.1:${server.address().port}/`, { headers: { accept: 'text/html' } });
  const html = await response.text();
  server.close();
  return html;
}

const hubspot = await startFakeHubSpot();
const options = { accessToken: 'pat-consumer', baseUrl: hubspot.baseUrl, visitor: () => 'esm@example.com', logger: false };
const html = '<html><head></head><body>x</body></html>';

const core = createIdentifier(options);
assert.match(core.inject(html, await core.identify('esm@example.com')), /data-hubspot-identify/);
assert.equal(typeof RedisTokenStore, 'function');
assert.equal(fastifyIdentify, namedFastifyIdentify);

const e = express();
e.use(expressIdentify(options));
e.get('/', (_req, res) => res.send(html));
assert.match(await page(e.listen(0, '127.0.0.1')), /data-hubspot-identify/);

const k = new Koa();
k.use(koaIdentify(options));
k.use((ctx) => {
  ctx.body = html;
});
assert.match(await page(k.listen(0, '127.0.0.1')), /data-hubspot-identify/);

const f = Fastify();
await f.register(fastifyIdentify, options);
f.get('/', (_req, reply) => reply.type('text/html').send(html));
await f.listen({ port: 0, host: '127.0.0.1' });
assert.match(await page(f.server), /data-hubspot-identify/);
await f.close();

const seen = [];
const handler = withHubSpotIdentify((request) => {
  seen.push(identityOf(request)?.email ?? null);
  return new Response(html, { headers: { 'content-type': 'text/html' } });
}, options);
assert.match(await (await handler(new Request('http://x/', { headers: { accept: 'text/html' } }))).text(), /data-hubspot-identify/);
// The cold page rendered while HubSpot was asked, and was injected as it was sent; the next one's handler sees the identity.
assert.match(await (await handler(new Request('http://x/', { headers: { accept: 'text/html' } }))).text(), /data-hubspot-identify/);
assert.deepEqual(seen, [null, 'esm@example.com']);
assert.equal((await (await tokenRouteHandler(options)(new Request('http://x/token'))).json()).email, 'esm@example.com');

const h = new Hono();
h.use(honoIdentify(options));
h.get('/', (c) => c.html(html));
assert.match(await (await h.request('/', { headers: { accept: 'text/html' } })).text(), /data-hubspot-identify/);

await hubspot.close();
console.log('esm ok');
