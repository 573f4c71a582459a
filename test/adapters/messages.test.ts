// Messages for wiring slips across stacks (issue 13.4): an HTML string Fastify sends as text/plain, Express middleware on bare Node req/res.
import { createServer } from 'node:http';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { hubspotIdentify } from '../../adapters/express/index.js';
import type { HubSpotIdentifyError } from '../../src/index.js';
import { memoryLogger } from '../helpers/clock.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE, PLAIN, USER_HEADER } from '../helpers/pages.js';
import { fastifyApp, inject } from './fastify-app.js';

const fake = useFakeHubSpot();
const ADA = { accept: 'text/html', [USER_HEADER]: 'ada@example.com' };

describe('fastify: an HTML string sent without a content type', () => {
  async function start() {
    const errors: HubSpotIdentifyError[] = [];
    const logger = memoryLogger();
    const app = await fastifyApp({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger, onError: (e) => errors.push(e) });
    app.get('/untyped', async () => `\n  ${PAGE.replace('<!doctype', '<!DOCTYPE')}`);
    app.get('/untyped-html', async () => '<html><body>hi</body></html>');
    await app.ready();
    return { app, errors, logger };
  }

  it('went out text/plain, silently not injected: one HSI_NOT_HTML says to set Content-Type: text/html', async () => {
    const { app, errors, logger } = await start();
    for (const path of ['/untyped', '/untyped-html', '/untyped']) {
      const response = await inject(app, path, { headers: ADA });
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).not.toContain('data-hubspot-identify');
    }
    expect(errors.map((e) => e.code)).toEqual(['HSI_NOT_HTML']);
    expect(errors[0]!.message).toContain("reply.type('text/html')");
    expect(logger.lines.filter((line) => line.includes('HSI_NOT_HTML'))).toHaveLength(1);
    await app.close();
  });

  it('plain text that is not a page, and anonymous visitors, raise nothing', async () => {
    const { app, errors } = await start();
    expect((await inject(app, '/plain', { headers: ADA })).text).toBe(PLAIN);
    await inject(app, '/untyped', { headers: { accept: 'text/html' } });
    expect(errors).toEqual([]);
    await app.close();
  });
});

describe('express: the middleware handed bare Node req/res', () => {
  it('passes the request on untouched and says once that this is not an Express app, naming hubspot-identify/fastify', async () => {
    const errors: HubSpotIdentifyError[] = [];
    const middleware = hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false, onError: (e) => errors.push(e) });
    // What middie does: the framework's raw Node request and response, and a next().
    const server = createServer((req, res) => {
      middleware(req as never, res as never, () => {
        res.setHeader('content-type', 'text/html');
        res.end(PAGE);
      });
    });
    for (let i = 0; i < 2; i++) {
      const response = await supertest(server).get('/').set(ADA);
      expect(response.status).toBe(200);
      expect(response.text).toBe(PAGE);
    }
    expect(errors.map((e) => e.code)).toEqual(['HSI_INVALID_OPTION']);
    expect(errors[0]!.message).toMatch(/hubspot-identify\/fastify.*app\.register\(hubspotIdentify, options\)/);
    expect(fake().calls).toHaveLength(0);
  });
});
