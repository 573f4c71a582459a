// What the shared case table needs from a framework: an app with the middleware and the test pages, and a way to request it.
import type { HubSpotIdentifyOptions } from '../../src/index.js';

export interface TestResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
}

export interface AppUnderTest {
  request(path: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface Harness {
  name: string;
  /** Bodies are web streams (fetch, Hono): a rewritten one goes out chunked, so Content-Length may be absent. */
  streamsBodies?: boolean;
  /**
   * An app with the middleware registered with `options` and these routes:
   * /page (HTML string), /buffer (HTML Buffer), /stream (HTML Readable), /json, /plain, /fragment,
   * /printed (template printing hsIdentity.scriptTag), /locals (JSON of the template's hsIdentity),
   * /public (PUBLIC_HEADERS), /no-store, /encoded (gzipped HTML), POST /page, and:
   * /partial (HTML answered 206 with Content-Range), /redirect (HTML answered 302), /no-content (204),
   * /error (the page answered 500), /validated (the page with VALIDATED_HEADERS, answered 304 when
   * the request's If-None-Match or If-Modified-Since matches them, as the framework's conditional
   * GET does), /asset (CSS with ASSET_HEADERS), /cookies (the page with two Set-Cookie headers),
   * /csp (the page with STRICT_CSP as Content-Security-Policy and its report-only twin).
   * The user comes from the x-test-user header, the CSP nonce from x-test-nonce, each put where
   * the framework conventionally keeps it.
   */
  start(options: HubSpotIdentifyOptions<any, any>): Promise<AppUnderTest>;
}

/** The validators and caching headers of /validated. */
export const VALIDATED_HEADERS = {
  ETag: '"v1"',
  'Last-Modified': 'Mon, 02 Nov 2026 10:00:00 GMT',
  'Cache-Control': 'public, max-age=600',
  'CDN-Cache-Control': 'max-age=3600',
  'Surrogate-Control': 'max-age=3600',
} as const;

/** /validated's conditional GET: whether the request's validators match the page's. */
export function matchesValidators(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['if-none-match'] === VALIDATED_HEADERS.ETag || headers['if-modified-since'] === VALIDATED_HEADERS['Last-Modified'];
}

/** The caching headers of /public: every lifetime a cache could reuse a page for, and directives that are not one. */
export const PUBLIC_HEADERS = {
  'Cache-Control':
    'public, max-age=600, s-maxage=3600, stale-while-revalidate=60, stale-if-error=86400, immutable, must-revalidate, no-transform',
  Expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
} as const;

/** The caching headers of /asset, a stylesheet. */
export const ASSET_HEADERS = { 'Content-Type': 'text/css', 'Cache-Control': 'public, max-age=86400', ETag: '"css1"' } as const;
export const ASSET = 'body { color: teal }';

/** A policy that allows inline scripts only by hash, as helmet and hand-written policies do. */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";
export const PARTIAL_RANGE = 'bytes 0-59/141';
