// A TypeScript user (moduleResolution nodenext): the augmented framework types and the public types compile.
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createIdentifier, type Identity, type HubSpotIdentifyError } from 'hubspot-identify';
import { hubspotIdentify as expressIdentify } from 'hubspot-identify/express';
import fastifyIdentify, { type HubSpotIdentifyLocals } from 'hubspot-identify/fastify';
import { hubspotIdentify as koaIdentify } from 'hubspot-identify/koa';
import { identityOf, tokenRouteHandler, withHubSpotIdentify } from 'hubspot-identify/fetch';
import { hubspotIdentify as honoIdentify } from 'hubspot-identify/hono';
import { Hono } from 'hono';
import { RedisTokenStore } from 'hubspot-identify/redis';
import { startFakeHubSpot } from 'hubspot-identify/testing';

async function main(): Promise<void> {
  const hubspot = await startFakeHubSpot();
  const onError = (error: HubSpotIdentifyError): void => void error.code;
  const core = createIdentifier({ accessToken: 'pat', baseUrl: hubspot.baseUrl, onError, logger: false });
  const identity: Identity | null = await core.identify({ email: 'ts@example.com', firstName: 'Type' });
  if (!identity || !core.inject('<head></head>', identity).includes(identity.scriptTag)) throw new Error('core');
  // @ts-expect-error: the store takes a client with call() or sendCommand()
  void (() => new RedisTokenStore({ client: {} }));

  const app = express();
  app.use(expressIdentify({ accessToken: 'pat', baseUrl: hubspot.baseUrl, visitor: (req) => req.get('x-email') }));
  app.get('/', (_req, res) => {
    const tag: string | undefined = res.locals.hsIdentity?.scriptTag;
    // @ts-expect-error: hsIdentity is an Identity, not a string
    const wrong: string = res.locals.hsIdentity;
    res.send(`${tag}${wrong}`);
  });

  const koa = new Koa();
  koa.use(koaIdentify({ accessToken: 'pat', baseUrl: hubspot.baseUrl, nonce: (ctx) => ctx.state['cspNonce'] as string }));
  koa.use((ctx) => {
    const email: string | undefined = ctx.state.hsIdentity?.email;
    ctx.body = email;
  });

  const fastify = Fastify();
  await fastify.register(fastifyIdentify, { accessToken: 'pat', baseUrl: hubspot.baseUrl, loadImmediately: true });
  fastify.get('/', async (request, reply) => {
    const current: Identity | null = request.hsIdentity;
    const fromLocals: Identity | null = reply.locals.hsIdentity;
    const locals: HubSpotIdentifyLocals = { hsIdentity: current ?? fromLocals };
    // @ts-expect-error hsIdentity is an Identity or null, not a string
    const wrongLocal: string = reply.locals.hsIdentity;
    void wrongLocal;
    return locals.hsIdentity?.token ?? null;
  });
  await fastify.close();

  const worker = withHubSpotIdentify(
    (request: Request, env: { KEY: string }) => {
      const current: Identity | null = identityOf(request);
      return new Response(`${current?.scriptTag ?? ''}${env.KEY}`);
    },
    { accessToken: 'pat', baseUrl: hubspot.baseUrl, visitor: (request) => request.headers.get('x-email') },
  );
  const answered: Promise<Response> = worker(new Request('http://x/'), { KEY: 'k' });
  await answered;
  // @ts-expect-error: the fetch adapter has no framework user to fall back on, so visitor is required
  void (() => tokenRouteHandler({ accessToken: 'pat' }));
  const GET: (request: Request) => Promise<Response> = tokenRouteHandler({ accessToken: 'pat', visitor: () => null });
  void GET;

  const hono = new Hono();
  hono.use(honoIdentify({ accessToken: 'pat', baseUrl: hubspot.baseUrl, visitor: (c) => c.req.header('x-email') }));
  hono.get('/', (c) => {
    const current: Identity | null = c.var.hsIdentity;
    // @ts-expect-error: hsIdentity is an Identity or null, not a string
    const wrong: string = c.get('hsIdentity');
    return c.html(`${current?.scriptTag ?? ''}${wrong}`);
  });
  await hubspot.close();
  console.log('typescript ok');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
