// What only the fetch adapter does: wrapping any (Request, ...rest) => Response, web-stream bodies split anywhere, identityOf, tokenRouteHandler.
import { describe, expect, it } from 'vitest';
import {
  identityOf,
  isHubSpotIdentifyError,
  tokenRouteHandler,
  withHubSpotIdentify,
  type FetchOptions,
} from '../../adapters/fetch/index.js';
import { memoryLogger } from '../helpers/clock.js';
import { useFakeHubSpot } from '../helpers/hubspot.js';
import { PAGE } from '../helpers/pages.js';
import { pageStream } from './fetch-app.js';

const fake = useFakeHubSpot();
const HTML = { 'content-type': 'text/html; charset=utf-8' };
const options = (extra: Partial<FetchOptions> = {}): FetchOptions => ({
  accessToken: 'pat-test',
  baseUrl: fake().baseUrl,
  logger: false,
  visitor: () => 'ada@example.com',
  ...extra,
});
const pageLoad = (path = '/', init: RequestInit = {}) =>
  new Request(`http://app.test${path}`, { ...init, headers: { accept: 'text/html', ...(init.headers as Record<string, string>) } });
const withoutScript = (html: string) => html.replace(/<script data-hubspot-identify.*?<\/script>/, '');
const invalidOption = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isHubSpotIdentifyError(error) && error.code).toBe('HSI_INVALID_OPTION');
    return (error as Error).message;
  }
  throw new Error('no error thrown');
};

describe('creation', () => {
  it('requires the visitor option, naming the fix', () => {
    const { visitor: _, ...rest } = options();
    expect(invalidOption(() => withHubSpotIdentify(() => new Response('x'), rest as FetchOptions))).toMatch(
      /needs a visitor option.*visitor: async \(request\)/,
    );
    expect(invalidOption(() => tokenRouteHandler(rest as FetchOptions))).toMatch(/tokenRouteHandler needs a visitor option/);
  });

  it('refuses a handler that is not a function', () => {
    expect(invalidOption(() => withHubSpotIdentify(undefined as never, options()))).toMatch(/pass app\.fetch/);
  });
});

describe('withHubSpotIdentify', () => {
  it('passes the rest arguments (env, ctx) through and hands back non-HTML responses as they were', async () => {
    const seen: unknown[] = [];
    const json = Response.json({ ok: true }, { headers: { 'cache-control': 'public, max-age=60', etag: '"v1"' } });
    const handler = withHubSpotIdentify((request: Request, env: { KEY: string }, ctx: { waitUntil(): void }) => {
      seen.push(env, ctx, identityOf(request)?.email);
      return json;
    }, options());
    const env = { KEY: 'k' };
    const ctx = { waitUntil() {} };
    // The JSON answer does not wait for HubSpot: the cold visitor is null inside, known once the token is cached.
    expect(await handler(pageLoad(), env, ctx)).toBe(json);
    expect(seen).toEqual([env, ctx, undefined]);
    while (seen.at(-1) === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await handler(pageLoad(), env, ctx)).toBe(json);
    }
    expect(seen.slice(-3)).toEqual([env, ctx, 'ada@example.com']);
    expect(fake().calls).toHaveLength(1);
  });

  it('identityOf is null for an anonymous visitor and for a request the wrapper never saw', async () => {
    let inside: unknown = 'unset';
    const handler = withHubSpotIdentify(
      (request) => {
        inside = identityOf(request);
        return new Response('x');
      },
      options({ visitor: () => null }),
    );
    await handler(pageLoad());
    expect(inside).toBeNull();
    expect(identityOf(pageLoad())).toBeNull();
  });

  it.each([
    ['two pieces', (bytes: Buffer, at: number) => [bytes.subarray(0, at), bytes.subarray(at)]],
    [
      'one byte, then the rest in one-byte pieces',
      (bytes: Buffer, at: number) => [bytes.subarray(0, at), ...Array.from(bytes.subarray(at), (byte) => Uint8Array.of(byte))],
    ],
  ])('injects a ReadableStream body split into %s at every position, multi-byte text intact', async (_name, split) => {
    const bytes = Buffer.from(PAGE);
    const handler = withHubSpotIdentify((_request, at: number) => new Response(pageStream(split(bytes, at)), { headers: HTML }), options());
    const expected = await (await handler(pageLoad(), 0)).text();
    expect(expected.indexOf('data-hubspot-identify')).toBeLessThan(expected.indexOf('</head>'));
    expect(withoutScript(expected)).toBe(PAGE);
    for (let at = 1; at < bytes.length; at++) {
      expect(await (await handler(pageLoad(), at)).text(), `split at byte ${at}`).toBe(expected);
    }
    expect(fake().calls).toHaveLength(1);
  });

  it("keeps status, statusText and every Set-Cookie; sends the injected page's length, not the app's, and drops validators; makes the page private", async () => {
    const handler = withHubSpotIdentify(() => {
      const headers = new Headers({
        ...HTML,
        'content-length': String(Buffer.byteLength(PAGE)),
        etag: '"v1"',
        'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
        'cdn-cache-control': 'max-age=600',
        'cache-control': 'public, max-age=600',
      });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2, with a comma; Path=/');
      return new Response(PAGE, { status: 404, statusText: 'Nothing Here', headers });
    }, options());
    const response = await handler(pageLoad());
    expect(response.status).toBe(404);
    expect(response.statusText).toBe('Nothing Here');
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Path=/',
      'b=2, with a comma; Path=/',
      expect.stringMatching(/^hsi_v=[\w-]{22}; /),
    ]);
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('last-modified')).toBeNull();
    expect(response.headers.get('cdn-cache-control')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('private');
    const html = await response.text();
    expect(withoutScript(html)).toBe(PAGE);
    // The injected page's own length, never the app's.
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
  });

  it.each([204, 206, 301, 302, 304])('hands back a %i response as the very same object', async (status) => {
    const original = new Response(status === 204 || status === 304 ? null : PAGE, {
      status,
      headers: { ...HTML, etag: '"v1"', 'cache-control': 'public' },
    });
    const handler = withHubSpotIdentify(() => original, options());
    expect(await handler(pageLoad())).toBe(original);
  });

  it('adds the script hash to a hash-only CSP when there is no nonce, and leaves a nonce policy alone', async () => {
    const csp = "script-src 'sha256-AAAA'";
    const hashed = await withHubSpotIdentify(
      () => new Response(PAGE, { headers: { ...HTML, 'content-security-policy': csp } }),
      options(),
    )(pageLoad());
    const html = await hashed.text();
    const script = /<script data-hubspot-identify>(.*?)<\/script>/.exec(html)![1]!;
    const { createHash } = await import('node:crypto');
    expect(hashed.headers.get('content-security-policy')).toBe(`${csp} 'sha256-${createHash('sha256').update(script).digest('base64')}'`);

    const nonced = await withHubSpotIdentify(
      () => new Response(PAGE, { headers: { ...HTML, 'content-security-policy': "script-src 'nonce-n1' 'sha256-AAAA'" } }),
      options({ nonce: (request) => request.headers.get('x-nonce') }),
    )(pageLoad('/', { headers: { 'x-nonce': 'n1' } }));
    expect(nonced.headers.get('content-security-policy')).toBe("script-src 'nonce-n1' 'sha256-AAAA'");
    expect(await nonced.text()).toContain('<script data-hubspot-identify nonce="n1">');
  });

  it('answers HEAD with the private headers and no Content-Length, as GET would', async () => {
    const handler = withHubSpotIdentify(
      (request) => new Response(request.method === 'HEAD' ? null : PAGE, { headers: { ...HTML, 'content-length': '10' } }),
      options(),
    );
    const head = await handler(pageLoad('/', { method: 'HEAD' }));
    expect(head.headers.get('cache-control')).toBe('private');
    expect(head.headers.get('content-length')).toBeNull();
    expect(head.body).toBeNull();
  });

  it("a HubSpot failure hands back the handler's own response, and nothing throws into the app", async () => {
    fake().behave({ kind: 'status', status: 500 });
    const original = new Response(PAGE, { headers: HTML });
    expect(await withHubSpotIdentify(() => original, options())(pageLoad())).toBe(original);
  });

  it('hands back whatever is not a usable Response as it came, even when identified', async () => {
    const used = new Response(PAGE, { headers: HTML });
    await used.text();
    const odd = { status: 200 } as unknown as Response;
    expect(await withHubSpotIdentify(() => used, options())(pageLoad())).toBe(used);
    expect(await withHubSpotIdentify(() => odd, options())(pageLoad())).toBe(odd);
  });

  it('an HTML body with nowhere to inject streams through unchanged, said once', async () => {
    const logger = memoryLogger();
    const handler = withHubSpotIdentify(() => new Response(pageStream(['<p>frag', 'ment</p>']), { headers: HTML }), options({ logger }));
    expect(await (await handler(pageLoad())).text()).toBe('<p>fragment</p>');
    expect(await (await handler(pageLoad())).text()).toBe('<p>fragment</p>');
    expect(logger.lines.filter((line) => line.includes('HSI_NO_INSERTION_POINT'))).toHaveLength(1);
  });

  it("an identified visitor's If-None-Match reached the handler, which could answer 304 with a page cached for someone else: it sees a copy without validators, identityOf still works, the rest is kept", async () => {
    let seen: Request | undefined;
    const handler = withHubSpotIdentify((request) => {
      seen = request;
      return new Response(PAGE, { headers: HTML });
    }, options());
    const original = pageLoad('/', {
      headers: { 'if-none-match': '"v1"', 'if-modified-since': 'Mon, 02 Nov 2026 10:00:00 GMT', 'x-kept': 'yes' },
    });
    await handler(original);
    expect(seen).not.toBe(original);
    expect(seen!.headers.get('if-none-match')).toBeNull();
    expect(seen!.headers.get('if-modified-since')).toBeNull();
    expect(seen!.headers.get('x-kept')).toBe('yes');
    expect(seen!.url).toBe(original.url);
    expect(identityOf(seen!)?.email).toBe('ada@example.com');
    expect(identityOf(original)?.email).toBe('ada@example.com');
    const plain = pageLoad('/');
    await handler(plain);
    expect(seen).toBe(plain);
    const anonymous = pageLoad('/', { headers: { 'if-none-match': '"v1"' } });
    await withHubSpotIdentify(
      (request) => {
        seen = request;
        return new Response(PAGE, { headers: HTML });
      },
      options({ visitor: () => null }),
    )(anonymous);
    expect(seen).toBe(anonymous);
  });

  it('the tokenRoute option answers at its path without calling the handler', async () => {
    let called = 0;
    const handler = withHubSpotIdentify(
      () => {
        called++;
        return new Response('app');
      },
      options({ tokenRoute: '/hs-token' }),
    );
    const response = await handler(new Request('http://app.test/hs-token?x=1'));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await response.json()).email).toBe('ada@example.com');
    expect(await (await handler(new Request('http://app.test/other'))).text()).toBe('app');
    expect(called).toBe(1);
  });
});

describe('tokenRouteHandler, called as Next.js calls a route handler', () => {
  it('answers the visitor, their token and no-store', async () => {
    const GET = tokenRouteHandler(options({ visitor: (request) => request.headers.get('x-email') }));
    const response = await GET(new Request('http://app.test/api/hubspot-token', { headers: { 'x-email': 'ada@example.com' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    expect(body.email).toBe('ada@example.com');
    expect(fake().tokens.get(body.token)).toBe('ada@example.com');
  });

  it('answers 401 for an anonymous visitor and 503 when HubSpot gives no token', async () => {
    const GET = tokenRouteHandler(options({ visitor: (request) => request.headers.get('x-email') }));
    const anonymous = await GET(new Request('http://app.test/t'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('cache-control')).toBe('no-store');
    fake().behave({ kind: 'status', status: 500 });
    const failed = await GET(new Request('http://app.test/t', { headers: { 'x-email': 'ada@example.com' } }));
    expect(failed.status).toBe(503);
    expect(failed.headers.get('cache-control')).toBe('no-store');
  });
});

describe('failing open', () => {
  it("anything that fails inside answers the app's own Response, said once, never a 500", async () => {
    const errors: string[] = [];
    const page = new Response('<html><head></head><body>app</body></html>', { headers: HTML });
    const handler = withHubSpotIdentify(() => page, options({ onError: (error) => errors.push(error.code) }));
    // A runtime's own Request whose headers cannot be read: nothing of ours may turn that into a failure of the page.
    const exotic = new Proxy(pageLoad(), {
      get(target, key) {
        if (key === 'headers') throw new Error('headers unavailable');
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    for (let i = 0; i < 2; i++) expect(await handler(exotic)).toBe(page);
    expect(errors).toEqual(['HSI_INTERNAL_ERROR']);
  });
});
