// What only Hono does: its c.res header trap, secure-headers' nonce, hono/cookie, compress order, and streaming over real sockets.
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { etag } from 'hono/etag';
import { setCookie } from 'hono/cookie';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { identityOf, withHubSpotIdentify } from '../../adapters/fetch/index.js';
import { hubspotIdentify, type HonoOptions } from '../../adapters/hono/index.js';
import { memoryLogger } from '../helpers/clock.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { LOADER, PAGE } from '../helpers/pages.js';
import { honoApp } from './hono-app.js';

const fake = useFakeHubSpot();
const options = (extra: HonoOptions = {}): HonoOptions => ({
  accessToken: 'pat-test',
  baseUrl: fake().baseUrl,
  logger: false,
  visitor: () => 'ada@example.com',
  ...extra,
});
const pageLoad = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://app.test${path}`, { headers: { accept: 'text/html', ...headers } });

/**
 * Serves the app on a real socket and GETs `/` as a page load; `onText` sees the text received so
 * far at each chunk (to let a streamed page go on). Resolves with the whole text and the headers.
 */
async function fetchOverSocket(app: Hono, onText: (text: string) => void): Promise<{ text: string; headers: Record<string, unknown> }> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => (server.listening ? resolve(null) : server.once('listening', resolve)));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { accept: 'text/html' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          onText(text);
        });
        res.on('end', () => resolve({ text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('hono', () => {
  it('a page answered with c.html that inner middleware then replaced goes out as replaced, injected once', async () => {
    const app = new Hono();
    app.use(hubspotIdentify(options()));
    app.use(async (c, next) => {
      await next();
      c.res = undefined;
      c.res = new Response('<html><head><title>Replaced</title></head><body></body></html>', {
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
    });
    app.get('/page', (c) => c.html(PAGE));
    const html = await (await app.request(pageLoad('/page'))).text();
    expect(html).toContain('<title>Replaced</title>');
    expect(html.match(/data-hubspot-identify/g)).toHaveLength(1);
  });

  it('a page answered with c.html(string) goes out as the same bytes a streamed answer of that page would', async () => {
    const app = new Hono();
    app.use(hubspotIdentify(options()));
    app.get('/html', (c) => c.html(PAGE));
    app.get('/stream', (c) => c.body(new Response(PAGE).body!, 200, { 'content-type': 'text/html; charset=utf-8' }));
    const [html, streamed] = await Promise.all(['/html', '/stream'].map(async (path) => (await app.request(pageLoad(path))).text()));
    expect(html).toBe(streamed);
    expect(html.match(/data-hubspot-identify/g)).toHaveLength(1);
  });

  it("setting c.res over the app's response does not copy back its Content-Length, ETag or public Cache-Control", async () => {
    const app = honoApp(options(), {
      routes: {
        'GET /cached': (c) => {
          c.header('ETag', '"v1"');
          c.header('Cache-Control', 'public, max-age=600');
          c.header('Content-Length', String(Buffer.byteLength(PAGE)));
          return c.html(PAGE);
        },
      },
    });
    const response = await app.request(pageLoad('/cached'));
    const html = await response.text();
    expect(html).toContain('data-hubspot-identify');
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('private');
    // The injected page's own length, never the app's.
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
  });

  it("hono/etag answered an identified visitor's If-None-Match with 304, a page cached with someone else's token: it sees no validator, the page goes out whole", async () => {
    const app = new Hono();
    app.use(hubspotIdentify(options()));
    app.use(etag());
    app.get('/', (c) => c.html(PAGE));
    const tag = (await app.request(pageLoad('/', { accept: 'application/json' }))).headers.get('etag')!;
    expect(tag).toMatch(/^"/);
    expect((await app.request(pageLoad('/', { accept: 'application/json', 'if-none-match': tag }))).status).toBe(304);
    const response = await app.request(pageLoad('/', { 'if-none-match': tag }));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data-hubspot-identify');
    expect(response.headers.get('etag')).toBeNull();
  });

  it('keeps every cookie hono/cookie set', async () => {
    const app = honoApp(options(), {
      routes: {
        'GET /cookies': (c) => {
          setCookie(c, 'a', '1');
          setCookie(c, 'b', '2');
          return c.html(PAGE);
        },
      },
    });
    const response = await app.request(pageLoad('/cookies'));
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/', expect.stringMatching(/^hsi_v=[\w-]{22}; /)]);
    expect(await response.text()).toContain('data-hubspot-identify');
  });

  it("takes the nonce secure-headers made for the request's CSP", async () => {
    const app = new Hono();
    app.use(secureHeaders({ contentSecurityPolicy: { scriptSrc: [NONCE] } }));
    app.use(hubspotIdentify(options()));
    app.get('/', (c) => c.html(PAGE));
    const response = await app.request(pageLoad('/'));
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeDefined();
    expect(await response.text()).toContain(`<script data-hubspot-identify nonce="${nonce}">`);
  });

  it('an app that compresses inside the middleware gets its page left alone, and told to register compress() first', async () => {
    const logger = memoryLogger();
    const inside = new Hono();
    inside.use(hubspotIdentify(options({ logger })));
    inside.use(compress());
    inside.get('/', (c) => c.html(PAGE.repeat(20)));
    const response = await inside.request(pageLoad('/', { 'accept-encoding': 'gzip' }));
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(logger.lines.join('\n')).toMatch(/HSI_ENCODED_BODY.*Register compress\(\) before hubspotIdentify\(\)/);

    const outside = new Hono();
    outside.use(compress());
    outside.use(hubspotIdentify(options()));
    outside.get('/', (c) => c.html(PAGE.repeat(20)));
    const compressed = await outside.request(pageLoad('/', { 'accept-encoding': 'gzip' }));
    expect(compressed.headers.get('content-encoding')).toBe('gzip');
    const html = await new Response(compressed.body!.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(html.match(/data-hubspot-identify/g)).toHaveLength(1);
  });

  it('withHubSpotIdentify(app.fetch) wraps a whole Hono app; identityOf(c.req.raw) reads the identity inside', async () => {
    const app = new Hono();
    app.get('/', (c) => c.html(`<html><head>${identityOf(c.req.raw)?.scriptTag ?? ''}</head><body>${LOADER}</body></html>`));
    const handler = withHubSpotIdentify(app.fetch, {
      accessToken: 'pat-test',
      baseUrl: fake().baseUrl,
      logger: false,
      visitor: () => 'ada@example.com',
    });
    const html = await (await handler(pageLoad('/'))).text();
    expect(html.match(/data-hubspot-identify/g)).toHaveLength(1);
    expect(html.indexOf('data-hubspot-identify')).toBeLessThan(html.indexOf('</head>'));
  });
});

describe('hono over real sockets (@hono/node-server)', () => {
  it('a streamed page that sets the marker sends its head before the rest is rendered', async () => {
    let shellReceived!: () => void;
    const received = new Promise<void>((resolve) => {
      shellReceived = resolve;
    });
    const app = new Hono();
    app.use(hubspotIdentify(options()));
    // A Node stream made a web one (a template engine's output), its head a turn of the event loop away.
    app.get('/', (c) =>
      c.body(
        Readable.toWeb(
          Readable.from(
            (async function* () {
              await new Promise((resolve) => setImmediate(resolve));
              yield '<!doctype html><html><head><title>Streamed</title></head><body>';
              // The rest is rendered only once the client has the head.
              await received;
              yield '<p>late</p></body></html>';
            })(),
          ),
        ) as ReadableStream,
        200,
        { 'content-type': 'text/html; charset=utf-8' },
      ),
    );
    const { text, headers } = await fetchOverSocket(app, (text) => {
      if (text.includes('</head>')) shellReceived();
    });
    expect(text.indexOf('data-hubspot-identify')).toBeLessThan(text.indexOf('</head>'));
    expect(text).toContain('<p>late</p>');
    expect(headers['set-cookie']).toEqual([expect.stringMatching(/^hsi_v=/)]);
  });

  it('streams the page: the script reaches the browser before the rest of the page is even rendered', async () => {
    let shellReceived!: () => void;
    const received = new Promise<void>((resolve) => {
      shellReceived = resolve;
    });
    const encoder = new TextEncoder();
    const app = new Hono();
    app.use(hubspotIdentify(options()));
    app.get('/', (c) =>
      c.body(
        new ReadableStream({
          async start(controller) {
            controller.enqueue(encoder.encode('<!doctype html><html><head><title>Grüße 🚀</title></he'));
            controller.enqueue(encoder.encode('ad><body><h1>Shell</h1>'));
            // The rest is rendered only once the client has the script: a buffering rewrite would never get here.
            await received;
            controller.enqueue(encoder.encode(`<p>late ✓</p>${LOADER}</body></html>`));
            controller.close();
          },
        }),
        200,
        { 'content-type': 'text/html; charset=utf-8' },
      ),
    );
    const { text, headers } = await fetchOverSocket(app, (text) => {
      if (text.includes('</script>')) shellReceived();
    });
    expect(text.match(/data-hubspot-identify/g)).toHaveLength(1);
    expect(text.indexOf('data-hubspot-identify')).toBeLessThan(text.indexOf('</head>'));
    expect(text.replace(/<script data-hubspot-identify.*?<\/script>/, '')).toBe(
      `<!doctype html><html><head><title>Grüße 🚀</title></head><body><h1>Shell</h1><p>late ✓</p>${LOADER}</body></html>`,
    );
    expect(headers['content-length']).toBeUndefined();
    expect(headers['cache-control']).toBe('private');
  });
});
