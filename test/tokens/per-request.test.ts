// Identifiers created per request (a wiring slip that calls HubSpot on every page) are said once; identifiers made once never are.
import express from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HubSpotIdentifyError, HubSpotIdentifyOptions } from '../../src/index.js';
import { startFakeHubSpot, type FakeHubSpot } from '../../src/testing/index.js';
import { HOUR, manualClock, memoryLogger } from '../helpers/clock.js';

let hubspot: FakeHubSpot;
beforeAll(async () => {
  hubspot = await startFakeHubSpot();
});
afterAll(() => hubspot.close());

// The check speaks once per process: each test loads the package afresh, as a process of its own would.
let createIdentifier: typeof import('../../src/index.js').createIdentifier;
let hubspotIdentify: typeof import('../../adapters/express/index.js').hubspotIdentify;
beforeEach(async () => {
  hubspot.reset();
  vi.resetModules();
  ({ createIdentifier } = await import('../../src/index.js'));
  ({ hubspotIdentify } = await import('../../adapters/express/index.js'));
});

/** Options shared by every identifier of a test, with one logger and one onError for all of them. */
function shared(options: HubSpotIdentifyOptions = {}) {
  const logger = memoryLogger();
  const errors: HubSpotIdentifyError[] = [];
  return {
    logger,
    errors,
    options: {
      accessToken: 'pat-per-request',
      baseUrl: hubspot.baseUrl,
      logger,
      onError: (e: HubSpotIdentifyError) => errors.push(e),
      ...options,
    },
  };
}

const said = (lines: string[]) => lines.filter((line) => line.includes('created per request'));

describe('identifiers created per request', () => {
  it('the Express slip, a middleware made inside the route, is said once with the fix, however many pages follow', async () => {
    const { logger, errors, options } = shared();
    const app = express();
    app.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = { email: 'ada@example.com' };
      next();
    });
    app.get('/', (req, res, next) =>
      hubspotIdentify(options)(req, res, (error?: unknown) =>
        error ? next(error) : res.send('<html><head></head><body>hi</body></html>'),
      ),
    );
    for (let page = 0; page < 4; page++) {
      const response = await supertest(app).get('/').set('accept', 'text/html');
      expect(response.text).toContain('data-hubspot-identify');
    }
    expect(hubspot.calls).toHaveLength(4);
    expect(said(logger.lines)).toHaveLength(1);
    expect(said(logger.lines)[0]).toMatch(/HSI_INVALID_OPTION.*once, at start-up/);
    // Advice, not a failure of any page: onError hears nothing.
    expect(errors).toEqual([]);
  });

  it('createIdentifier per page is said by the second page', async () => {
    const { logger, options } = shared();
    await createIdentifier(options).identify('ada@example.com');
    expect(said(logger.lines)).toHaveLength(0);
    await createIdentifier(options).identify('Ada@Example.com');
    expect(said(logger.lines)).toHaveLength(1);
  });

  it('with logger: false, nothing is said and nothing throws', async () => {
    const { options } = shared({ logger: false });
    for (let page = 0; page < 3; page++) expect(await createIdentifier(options).identify('ada@example.com')).not.toBeNull();
  });
});

describe('identifiers made once are never taken for it', () => {
  it('one identifier per tenant, each created when its tenant first shows up, for the same visitor', async () => {
    const { logger, options } = shared();
    for (let tenant = 0; tenant < 4; tenant++) {
      expect(await createIdentifier({ ...options, accessToken: `pat-tenant-${tenant}` }).identify('ada@example.com')).not.toBeNull();
    }
    expect(hubspot.calls).toHaveLength(4);
    expect(said(logger.lines)).toEqual([]);
  });

  it('two identifiers of one account made at start-up (pages and a token route) that both mint for a visitor', async () => {
    const { logger, options } = shared();
    const pages = createIdentifier(options);
    const route = createIdentifier(options);
    await pages.identify('ada@example.com');
    await route.identify('ada@example.com');
    await pages.identify('bob@example.com');
    await route.identify('bob@example.com');
    expect(hubspot.calls).toHaveLength(4);
    expect(said(logger.lines)).toEqual([]);
  });

  it('one identifier minting again for a visitor: after forget(), and when the token is due for a refresh', async () => {
    const clock = manualClock();
    const { logger, options } = shared({ now: clock.now });
    const hs = createIdentifier(options);
    await hs.identify('ada@example.com');
    await hs.forget('ada@example.com');
    await hs.identify('ada@example.com');
    clock.advance(7 * HOUR);
    await hs.identify('ada@example.com');
    await vi.waitFor(() => expect(hubspot.calls).toHaveLength(3));
    expect(said(logger.lines)).toEqual([]);
  });

  it('a new identifier minting for a visitor after the refresh period, as a restart would', async () => {
    const clock = manualClock();
    const { logger, options } = shared({ now: clock.now });
    await createIdentifier(options).identify('ada@example.com');
    clock.advance(6 * HOUR);
    await createIdentifier(options).identify('ada@example.com');
    expect(said(logger.lines)).toEqual([]);
  });
});
