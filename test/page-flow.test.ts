// The page flow on its own, driven by a framework of plain objects: what each response becomes, when it waits, and that a cache hit never does.
import { describe, expect, it } from 'vitest';
import { headersOf } from './helpers/headers.js';
import { createPageFlow, type FrameworkFacts, type Identity } from '../src/page-flow.js';
import { useFakeHubSpot } from './helpers/hubspot.js';

const fake = useFakeHubSpot();

interface Req {
  user?: unknown;
  method: string;
  headers: Record<string, string>;
  shown: (Identity | null)[];
}

const request = (user: unknown, headers: Record<string, string> = {}): Req => ({
  user,
  method: 'GET',
  headers: { accept: 'text/html', ...headers },
  shown: [],
});

const facts: FrameworkFacts<Req, Req> = {
  user: (req) => req.user,
  method: (req) => req.method,
  path: () => '/',
  header: (req, name) => req.headers[name],
  host: () => 'app.test',
  nonce: (req) => req.headers['x-nonce'],
  secure: () => false,
  show: (req, _res, identity) => {
    req.shown.push(identity);
  },
};

const flowWith = (options: object = {}) =>
  createPageFlow<Req, Req>({ accessToken: 'pat-flow', baseUrl: fake().baseUrl, logger: false, ...options }, facts, 'Compress later.');
const HTML = { 'Content-Type': 'text/html; charset=utf-8' };

/** A flow whose cache already holds ada's token. */
async function warmFlow(options: object = {}) {
  const flow = flowWith(options);
  const first = flow.visit(request('ada@example.com'), request('ada@example.com'))!;
  await first.respond(200, headersOf(HTML));
  return flow;
}

describe('a page load', () => {
  it('is shown null first, then the identity; a cache hit decides in the same tick, without a promise', async () => {
    const flow = await warmFlow();
    const req = request('ada@example.com');
    const visit = flow.visit(req, req)!;
    expect(req.shown.map((identity) => identity?.email ?? null)).toEqual([null, 'ada@example.com']);
    expect(visit.dropsValidators).toBe(true);
    const headers = headersOf({ ...HTML, 'Cache-Control': 'public, max-age=60', ETag: '"v1"', 'Surrogate-Control': 'max-age=60' });
    expect(visit.respond(200, headers)).toBe('inject');
    expect(headers.all).toEqual({ 'content-type': HTML['Content-Type'], 'cache-control': 'private' });
    expect(visit.tag).toMatch(/^<script data-hubspot-identify>/);
  });

  it.each([
    ['a 206', 206, { ...HTML, 'Cache-Control': 'public' }],
    ['a 304', 304, { ...HTML, ETag: '"v1"' }],
    ['a redirect', 302, { ...HTML, Location: '/' }],
    ['a 204', 204, HTML],
    ['JSON', 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public' }],
    ['a stylesheet', 200, { 'Content-Type': 'text/css', 'Cache-Control': 'public, max-age=86400', ETag: '"c"' }],
  ])('leaves %s untouched, at once, even while HubSpot has not answered', async (_name, status, initial) => {
    const release = fake().hold();
    try {
      const req = request('ada@example.com');
      const visit = flowWith().visit(req, req)!;
      const headers = headersOf(initial);
      expect(visit.respond(status, headers)).toBe('untouched');
      expect(headers.all).toEqual(headersOf(initial).all);
    } finally {
      release();
    }
  });

  it('an error page carries the script too; encoded HTML whose template saw the identity goes private without injection', async () => {
    const flow = await warmFlow();
    const error = flow.visit(request('ada@example.com'), request('ada@example.com'))!;
    expect(error.respond(500, headersOf(HTML))).toBe('inject');
    const encoded = flow.visit(request('ada@example.com'), request('ada@example.com'))!;
    const headers = headersOf({ ...HTML, 'Content-Encoding': 'gzip' });
    expect(encoded.respond(200, headers)).toBe('private');
    expect(headers.all['cache-control']).toBe('private');
  });

  it('a cold page waits for its token when it is sent, and is shown the identity then', async () => {
    const req = request('ada@example.com');
    const visit = flowWith().visit(req, req)!;
    expect(req.shown).toEqual([null]);
    const verdict = visit.respond(200, headersOf(HTML));
    expect(verdict).toBeInstanceOf(Promise);
    expect(await verdict).toBe('inject');
    expect(req.shown.at(-1)?.email).toBe('ada@example.com');
  });

  it('with inject: false the identity is ready before the app renders, and the page goes private without injection', async () => {
    const req = request('ada@example.com');
    const visit = flowWith({ inject: false }).visit(req, req)!;
    expect(visit.ready).toBeInstanceOf(Promise);
    await visit.ready;
    expect(visit.identity?.email).toBe('ada@example.com');
    expect(visit.respond(200, headersOf(HTML))).toBe('private');
  });

  it('a request that is no page load, or one an instance already saw, gets no visit; templates see null', () => {
    const flow = flowWith();
    const json = { ...request('ada@example.com'), headers: { accept: 'application/json' } };
    expect(flow.visit(json, json)).toBeUndefined();
    expect(json.shown).toEqual([null]);
    const page = request('ada@example.com');
    expect(flow.visit(page, page)).toBeDefined();
    expect(flowWith().visit(page, page)).toBeUndefined();
    expect(fake().calls.length).toBeLessThanOrEqual(1);
  });

  it('a nonce function that throws leaves the page anonymous and says so', () => {
    const errors: string[] = [];
    const flow = flowWith({
      nonce: () => {
        throw new Error('no nonce');
      },
      onError: (error: { code: string }) => errors.push(error.code),
    });
    const req = request('ada@example.com');
    expect(flow.visit(req, req)).toBeUndefined();
    expect(errors).toEqual(['HSI_FUNCTION_FAILED']);
  });
});

describe('late identification', () => {
  it('a page anonymous when the middleware ran asks again as it is sent, once; false from the resolver means no one, and no one later', async () => {
    let asked = 0;
    let user: string | null | false = null;
    const flow = flowWith({ visitor: async () => (asked++, user) });
    const req = request(undefined);
    const visit = flow.visit(req, req)!;
    user = 'ada@example.com';
    expect(await visit.respond(200, headersOf(HTML))).toBe('inject');
    expect(asked).toBe(2);
    expect(req.shown.at(-1)?.email).toBe('ada@example.com');

    asked = 0;
    user = false;
    const final = flow.visit(request(undefined), request(undefined))!;
    user = 'ada@example.com';
    expect(await final.respond(200, headersOf(HTML))).toBe('untouched');
    expect(asked).toBe(1);
  });

  it('a non-page response never asks the resolver again', async () => {
    let asked = 0;
    const flow = flowWith({ visitor: () => (asked++, null) });
    const req = request(undefined);
    const visit = flow.visit(req, req)!;
    expect(visit.respond(302, headersOf(HTML))).toBe('untouched');
    expect(visit.respond(200, headersOf({ 'Content-Type': 'application/json' }))).toBe('untouched');
    expect(asked).toBe(1);
  });
});
