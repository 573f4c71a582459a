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
   * /public (Cache-Control public), /no-store, /encoded (gzipped HTML), POST /page.
   * The user comes from the x-test-user header, the CSP nonce from x-test-nonce, each put where
   * the framework conventionally keeps it.
   */
  start(options: HubSpotIdentifyOptions<any, any>): Promise<AppUnderTest>;
}
