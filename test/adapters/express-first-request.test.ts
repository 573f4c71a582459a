// The first identified request after start, with compression() registered first: in a file of its
// own, so that no earlier test has hooked Express's response prototype already.
import compression from 'compression';
import express from 'express';
import supertest from 'supertest';
import { expect, it } from 'vitest';
import { hubspotIdentify } from '../../adapters/express/index.js';
import { PAGE, USER_HEADER } from '../helpers/pages.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { send } from './express-app.js';

const fake = useFakeHubSpot();

it('the first identified page after start went out public, max-age=600 with the token in it, behind compression()', async () => {
  const app = express();
  app.use(compression({ threshold: 0 }));
  app.use((req, _res, next) => {
    (req as express.Request & { user?: unknown }).user = req.headers[USER_HEADER];
    next();
  });
  app.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
  app.get('/page', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=600').set('ETag', '"v1"').send(PAGE);
  });
  for (const attempt of ['first', 'second']) {
    const response = await send(supertest(app), '/page', {
      headers: { [USER_HEADER]: 'ada@example.com', accept: 'text/html', 'accept-encoding': 'gzip' },
    });
    expect(response.headers['content-encoding'], attempt).toBe('gzip');
    expect(response.text.match(/data-hubspot-identify/g), attempt).toHaveLength(1);
    expect(response.headers['cache-control'], attempt).toBe('private');
    expect(response.headers['etag'], attempt).toBeUndefined();
  }
});
