// What only Express has: res.render, raw res.write, compression order, helmet, a real socket.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import compression from 'compression';
import express from 'express';
import helmet from 'helmet';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../helpers/clock.js';
import { PAGE, PAGE_CHUNKS, printedPage, USER_HEADER } from '../helpers/pages.js';
import { isHubSpotIdentifyError } from '../../src/index.js';
import { hubspotIdentify } from '../../adapters/express/index.js';
import { expressApp, send } from './express-app.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';

const views = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const ADA = { [USER_HEADER]: 'ada@example.com', accept: 'text/html' };

const fake = useFakeHubSpot();

/** The shared test app, with `before` ahead of the middleware and `routes` after it. */
function build(routes: (app: express.Express) => void, before?: (app: express.Express) => void, logger = memoryLogger()) {
  const target = expressApp({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger }, (a) => {
    a.set('views', views);
    a.set('view engine', 'ejs');
    before?.(a);
  });
  routes(target);
  return target;
}

const countScripts = (html: string) => (html.match(/data-hubspot-identify/g) ?? []).length;

describe('express only', () => {
  it('a template printing hsIdentity.scriptTag through res.render gets it once, in <head>', async () => {
    const target = build((a) => a.get('/ejs', (_req, res) => res.render('page', { title: 'EJS' })));
    const response = await send(supertest(target), '/ejs', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('</head>'));
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
  });

  it('a string page sent as our injected bytes keeps the labels Express gives strings: charset=utf-8, its byte length, no ETag', async () => {
    const page = '<html><head><title>Grüße 日本</title></head><body>🚀</body></html>';
    const target = build((a) => {
      a.get('/bare', (_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.send(page);
      });
      a.get('/latin1', (_req, res) => {
        res.setHeader('Content-Type', 'text/html; charset=iso-8859-1');
        res.send(page);
      });
      a.get('/etag', (_req, res) => {
        res.set('ETag', 'W/"app"').type('html').send(page);
      });
    });
    for (const path of ['/bare', '/latin1']) {
      const response = await send(supertest(target), path, { headers: ADA });
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.text).toContain('Grüße 日本');
      expect(response.text).toContain('🚀');
      expect(countScripts(response.text)).toBe(1);
      expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
      expect(response.headers['etag']).toBeUndefined();
    }
    const response = await send(supertest(target), '/etag', { headers: ADA });
    expect(response.headers['etag']).toBeUndefined();
    expect(response.headers['cache-control']).toBe('private');
  });

  it('res.render of a template without it is injected automatically', async () => {
    const target = build((a) => a.get('/ejs', (_req, res) => res.render('plain', { title: 'EJS' })));
    const response = await send(supertest(target), '/ejs', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.text.indexOf('data-hubspot-identify')).toBeLessThan(response.text.indexOf('hs-script-loader'));
  });

  it('raw res.write chunks are injected on the fly and a stale Content-Length is dropped', async () => {
    const target = build((a) =>
      a.get('/raw', (_req, res) => {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.setHeader('Content-Length', String(Buffer.byteLength(PAGE)));
        for (const chunk of PAGE_CHUNKS) res.write(chunk);
        res.end();
      }),
    );
    const response = await send(supertest(target), '/raw', { headers: ADA });
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.text.replace(/<script data-hubspot-identify.*?<\/script>/, '')).toBe(PAGE);
    expect(countScripts(response.text)).toBe(1);
  });

  it('a raw HEAD response announced the uninjected length: it drops Content-Length as its GET does, and is not reported as a page without <head>', async () => {
    const logger = memoryLogger();
    const target = build(
      (a) =>
        a.head('/raw-head', (_req, res) => {
          res.setHeader('Content-Type', 'text/html');
          res.setHeader('Content-Length', '1234');
          res.end();
        }),
      undefined,
      logger,
    );
    const response = await send(supertest(target), '/raw-head', { method: 'HEAD', headers: ADA });
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers['cache-control']).toBe('private');
    expect(logger.lines.join('\n')).not.toContain('HSI_NO_INSERTION_POINT');
  });

  it('res.end(html) alone keeps Content-Length right', async () => {
    const target = build((a) =>
      a.get('/end', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(PAGE);
      }),
    );
    const response = await send(supertest(target), '/end', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.headers['cache-control']).toBe('private');
  });

  it('compression registered first: the page is injected, then compressed', async () => {
    const target = build(
      (a) => {
        a.get('/big', (_req, res) => res.send(PAGE + ' '.repeat(4096)));
        a.get('/big-stream', (_req, res) => {
          res.type('html');
          for (const c of PAGE_CHUNKS) res.write(c);
          res.end(' '.repeat(4096));
        });
      },
      (a) => a.use(compression()),
    );
    for (const path of ['/big', '/big-stream']) {
      const response = await send(supertest(target), path, { headers: { ...ADA, 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding'], path).toBe('gzip');
      expect(countScripts(response.text), path).toBe(1);
    }
  });

  it('compression registered after: res.send still works, raw writes are left alone with the order to use', async () => {
    const logger = memoryLogger();
    const target = expressApp({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger });
    target.use(compression({ threshold: 0 }));
    target.get('/late-send', (_req, res) => {
      res.send(PAGE + ' '.repeat(4096));
    });
    target.get('/late-write', (_req, res) => {
      res.type('html');
      res.write(PAGE);
      res.end(' '.repeat(4096));
    });
    const sent = await send(supertest(target), '/late-send', { headers: { ...ADA, 'accept-encoding': 'gzip' } });
    expect(countScripts(sent.text)).toBe(1);
    const written = await send(supertest(target), '/late-write', { headers: { ...ADA, 'accept-encoding': 'gzip' } });
    expect(countScripts(written.text)).toBe(0);
    expect(logger.lines.join('\n')).toMatch(/HSI_ENCODED_BODY.*Register compression\(\) before hubspotIdentify\(\)/);
  });

  it("runs under helmet's CSP with the nonce in res.locals.cspNonce", async () => {
    const target = build(
      (a) =>
        a.get('/helmet', (_req, res) => {
          res.send(PAGE);
        }),
      (a) => {
        a.use((_req, res, next) => {
          res.locals['cspNonce'] = randomBytes(16).toString('base64');
          next();
        });
        a.use(
          helmet({
            contentSecurityPolicy: {
              directives: { scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals['cspNonce']}'`] },
            },
          }),
        );
      },
    );
    const response = await send(supertest(target), '/helmet', { headers: ADA });
    const nonce = /'nonce-([^']+)'/.exec(response.headers['content-security-policy']!)![1];
    expect(response.text).toContain(`<script data-hubspot-identify nonce="${nonce}">`);
  });

  it('injects pages of a mounted sub-app, once even when both apps use the middleware', async () => {
    const sub = express();
    sub.get('/page', (_req, res) => {
      res.send(PAGE);
    });
    const twice = express();
    twice.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
    twice.get('/page', (_req, res) => {
      res.type('html');
      res.write(PAGE);
      res.end();
    });
    const target = build((a) => {
      a.use('/sub', sub);
      a.use('/twice', twice);
    });
    for (const path of ['/sub/page', '/twice/page']) {
      const response = await send(supertest(target), path, { headers: ADA });
      expect(countScripts(response.text), path).toBe(1);
      expect(response.headers['cache-control'], path).toBe('private');
    }
  });

  it('leaves responses of other apps in the process alone', async () => {
    build(() => undefined);
    const other = express();
    other.get('/page', (_req, res) => {
      res.send(PAGE);
    });
    const response = await send(supertest(other), '/page', { headers: ADA });
    expect(response.text).toBe(PAGE);
    expect(response.headers['cache-control']).toBeUndefined();
  });

  it('works over a real socket with keep-alive', async () => {
    const target = build(() => undefined);
    const server = target.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/page`, { headers: ADA });
        const html = await response.text();
        expect(countScripts(html)).toBe(1);
        expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(html));
      }
      expect(fake().calls).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('express.static', () => {
    const root = mkdtempSync(join(tmpdir(), 'hsi-static-'));
    writeFileSync(join(root, 'index.html'), PAGE);
    writeFileSync(join(root, 'site.css'), 'body { color: teal }');
    const staticApp = () => build((a) => a.use(express.static(root, { maxAge: '1d' })));
    const length = String(Buffer.byteLength(PAGE));

    it('a Range request got the script into its 206 and went out corrupt: it is sent as the file has it', async () => {
      const response = await send(supertest(staticApp()), '/index.html', { headers: { ...ADA, range: 'bytes=1-' } });
      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes 1-${Number(length) - 1}/${length}`);
      expect(response.headers['content-length']).toBe(String(Number(length) - 1));
      expect(response.text).toBe(PAGE.slice(1));
    });

    it("HEAD announced the file's length while GET sent the injected page: neither announces one", async () => {
      const target = staticApp();
      const full = await send(supertest(target), '/index.html', { headers: ADA });
      expect(countScripts(full.text)).toBe(1);
      expect(full.headers['content-length']).toBeUndefined();
      const head = await send(supertest(target), '/index.html', { method: 'HEAD', headers: ADA });
      expect(head.headers['content-length']).toBeUndefined();
      expect(head.headers['cache-control']).toBe('private');
    });

    it("another visitor's If-None-Match or If-Modified-Since got a 304 of the file: the identified page goes out whole, without validators", async () => {
      const target = staticApp();
      const anonymous = await send(supertest(target), '/index.html', { headers: { accept: 'text/html' } });
      expect(anonymous.headers['etag']).toBeDefined();
      for (const conditional of [
        { 'if-none-match': anonymous.headers['etag']! },
        { 'if-modified-since': anonymous.headers['last-modified']! },
      ] as Record<string, string>[]) {
        const response = await send(supertest(target), '/index.html', { headers: { ...ADA, ...conditional } });
        expect(response.status).toBe(200);
        expect(countScripts(response.text)).toBe(1);
        expect(response.headers['etag']).toBeUndefined();
        expect(response.headers['last-modified']).toBeUndefined();
      }
    });

    it("a file piped through compression() while its visitor's token is minted goes out whole, injected and compressed", async () => {
      // compression() moves res's 'drain' listeners onto its gzip stream, so the pipe must not be left waiting for one.
      fake().latencyMs = 100;
      const target = build(
        (a) => {
          a.use('/static', express.static(root));
          a.get('/file', (_req, res) => res.sendFile(join(root, 'index.html')));
        },
        (a) => a.use(compression()),
      );
      for (const path of ['/static/index.html', '/file']) {
        const response = await send(supertest(target), path, {
          headers: { ...ADA, [USER_HEADER]: `cold-${path.length}@example.com`, 'accept-encoding': 'gzip' },
        });
        expect(response.status, path).toBe(200);
        expect(response.headers['content-encoding'], path).toBe('gzip');
        expect(countScripts(response.text), path).toBe(1);
        expect(response.text.replace(/<script data-hubspot-identify[\s\S]*?<\/script>/, ''), path).toBe(PAGE);
      }
    });

    it("a logged-in visitor's stylesheet lost its public max-age: assets keep their caching headers", async () => {
      const response = await send(supertest(staticApp()), '/site.css', { headers: ADA });
      expect(response.headers['cache-control']).toBe('public, max-age=86400');
      expect(response.headers['etag']).toBeDefined();
    });
  });

  it('identity set in a mounted sub-app, page sent by the parent, went out with the token and no Cache-Control', async () => {
    const sub = express();
    sub.use(hubspotIdentify({ accessToken: 'pat-test', baseUrl: fake().baseUrl, logger: false }));
    const parent = express();
    parent.use((req, _res, next) => {
      (req as express.Request & { user?: unknown }).user = req.headers[USER_HEADER];
      next();
    });
    parent.use(sub);
    parent.get('/page', (_req, res) => {
      res.send(printedPage(res.locals.hsIdentity?.scriptTag));
    });
    parent.get('/raw', (_req, res) => {
      res.type('html');
      res.end(PAGE);
    });
    for (const path of ['/page', '/raw']) {
      const response = await send(supertest(parent), path, { headers: ADA });
      expect(countScripts(response.text), path).toBe(1);
      expect(response.headers['cache-control'], path).toBe('private');
    }
  });

  it.each([
    ['a flat list', ['content-type', 'text/html', 'set-cookie', 'a=1', 'set-cookie', 'b=2']],
    [
      'pairs',
      [
        ['content-type', 'text/html'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ],
    ],
  ])('writeHead with headers as %s kept only the last Set-Cookie', async (_name, headers) => {
    const target = build((a) =>
      a.get('/raw', (_req, res) => {
        res.setHeader('Set-Cookie', 'stale=1');
        res.writeHead(200, headers as string[]);
        res.end(PAGE);
      }),
    );
    const response = await send(supertest(target), '/raw', { headers: ADA });
    expect(countScripts(response.text)).toBe(1);
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2', expect.stringMatching(/^hsi_v=[\w-]{22}; /)]);
    expect(response.headers['cache-control']).toBe('private');
  });

  it("helmet's hash-only script-src blocked the script: its hash is added when there is no nonce", async () => {
    const target = build(
      (a) =>
        a.get('/helmet', (_req, res) => {
          res.send(PAGE);
        }),
      (a) => {
        a.use(
          helmet({
            contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"] } },
          }),
        );
      },
    );
    const response = await send(supertest(target), '/helmet', { headers: ADA });
    const text = /<script data-hubspot-identify>([\s\S]*?)<\/script>/.exec(response.text)![1]!;
    const scriptSrc = /script-src [^;]*/.exec(response.headers['content-security-policy']!)![0];
    expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(text).digest('base64')}'`);
  });

  it('app.use(hubspotIdentify) uncalled answered 500 about baseUrl: it fails with HSI_INVALID_OPTION naming the fix', async () => {
    const app = express();
    const seen: unknown[] = [];
    app.use(hubspotIdentify as unknown as express.RequestHandler);
    app.get('/page', (_req, res) => {
      res.send(PAGE);
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen.push(error);
      res.status(500).end();
    });
    expect((await send(supertest(app), '/page', { headers: ADA })).status).toBe(500);
    expect(isHubSpotIdentifyError(seen[0]) && seen[0].code).toBe('HSI_INVALID_OPTION');
    expect((seen[0] as Error).message).toContain('app.use(hubspotIdentify(options))');
  });

  it('res.render threw ReferenceError (500) for an anonymous visitor of a template testing hsIdentity', async () => {
    const target = build((a) => a.get('/ejs', (_req, res) => res.render('page', { title: 'EJS' })));
    const response = await send(supertest(target), '/ejs', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(countScripts(response.text)).toBe(0);
  });
});
