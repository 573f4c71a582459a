// The first identified request after start, with caching headers set by a middleware registered first
// as the headers go out (on-headers): in a file of its own, so that no earlier test has hooked
// Express's response prototype already.
import express from 'express';
import supertest from 'supertest';
import { expect, it } from 'vitest';
import { hubspotIdentify } from '../../adapters/express/index.js';
import { PAGE, USER_HEADER } from '../helpers/pages.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { send } from './express-app.js';

const fake = useFakeHubSpot();

/** What on-headers (and so compression, response-time) does: a listener run as writeHead is called, before the wrapped writeHead. */
function onHeaders(res: express.Response, listener: (this: express.Response) => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: express.Response, ...args: unknown[]) {
    listener.call(this);
    return (writeHead as (...rest: unknown[]) => express.Response).apply(this, args);
  } as typeof res.writeHead;
}

it('a public Cache-Control, Surrogate-Control and an ETag set by an earlier on-headers listener reached identified pages (the first one with the ETag too)', async () => {
  const app = express();
  app.use((_req, res, next) => {
    onHeaders(res, function (this: express.Response) {
      this.setHeader('ETag', '"shared"');
      this.setHeader('Cache-Control', 'public, max-age=600');
      this.appendHeader('Cache-Control', 's-maxage=60');
      this.setHeader('Surrogate-Control', 'max-age=600');
      this.setHeader('X-Kept', 'yes');
    });
    next();
  });
  app.use((req, _res, next) => {
    (req as express.Request & { user?: unknown }).user = req.headers[USER_HEADER];
    next();
  });
  app.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
  app.get('/page', (_req, res) => {
    res.send(PAGE);
  });
  for (const attempt of ['first', 'second']) {
    const response = await send(supertest(app), '/page', { headers: { [USER_HEADER]: 'ada@example.com', accept: 'text/html' } });
    expect(response.text.match(/data-hubspot-identify/g), attempt).toHaveLength(1);
    expect(response.headers['cache-control'], attempt).toBe('private');
    expect(response.headers['etag'], attempt).toBeUndefined();
    expect(response.headers['surrogate-control'], attempt).toBeUndefined();
    expect(response.headers['x-kept'], attempt).toBe('yes');
  }
  // An anonymous page keeps what the listener gives it.
  const anonymous = await send(supertest(app), '/page', { headers: { accept: 'text/html' } });
  expect(anonymous.headers['cache-control']).toBe('public, max-age=600, s-maxage=60');
  expect(anonymous.headers['etag']).toBe('"shared"');
});
