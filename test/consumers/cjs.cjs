// A CommonJS user: require() every entry point and serve one identified page per framework.
const assert = require('node:assert/strict');
const express = require('express');
const Koa = require('koa');
const Fastify = require('fastify');
const { createIdentifier, isHubSpotIdentifyError } = require('hubspot-identify');
const { hubspotIdentify: expressIdentify } = require('hubspot-identify/express');
const { hubspotIdentify: koaIdentify } = require('hubspot-identify/koa');
const fastifyIdentify = require('hubspot-identify/fastify');
const { withHubSpotIdentify, identityOf, tokenRouteHandler } = require('hubspot-identify/fetch');
const { hubspotIdentify: honoIdentify } = require('hubspot-identify/hono');
const { Hono } = require('hono');
const { RedisTokenStore } = require('hubspot-identify/redis');
const { startFakeHubSpot } = require('hubspot-identify/testing');

async function page(server, path = '/') {
  await new Promise((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));
  const response = await fetch(`http://127.0.0.1:${server.address().port}${path}`, { headers: { accept: 'text/html' } });
  const html = await response.text();
  server.close();
  return html;
}

(async () => {
  const hubspot = await startFakeHubSpot();
  const options = { accessToken: 'pat-consumer', baseUrl: hubspot.baseUrl, visitor: () => 'cjs@example.com', logger: false };
  const html = '<html><head></head><body>x</body></html>';

  const core = createIdentifier(options);
  assert.match(core.inject(html, await core.identify('cjs@example.com')), /data-hubspot-identify/);
  assert.throws(
    () => createIdentifier({ ...options, timeout: -1 }),
    (e) => isHubSpotIdentifyError(e) && e.code === 'HSI_INVALID_OPTION',
  );
  assert.equal(typeof RedisTokenStore, 'function');

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
  assert.equal(fastifyIdentify.default, fastifyIdentify.hubspotIdentify);
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
  assert.deepEqual(seen, [null, 'cjs@example.com']);
  assert.equal((await (await tokenRouteHandler(options)(new Request('http://x/token'))).json()).email, 'cjs@example.com');

  const h = new Hono();
  h.use(honoIdentify(options));
  h.get('/', (c) => c.html(html));
  assert.match(await (await h.request('/', { headers: { accept: 'text/html' } })).text(), /data-hubspot-identify/);

  await hubspot.close();
  console.log('cjs ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
