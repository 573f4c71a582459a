// The pages every framework's test app serves, so one table of cases runs against all three.
import { gzipSync } from 'node:zlib';

export const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/12345.js"></script>';
export const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Grüße 🚀</title></head><body><h1>Hello</h1>${LOADER}</body></html>`;
export const FRAGMENT = '<p>just a fragment</p>';
export const PLAIN = 'plain text that mentions </head> and </body>';
export const GZIPPED_PAGE = gzipSync(PAGE);

/** The page split in small chunks, cutting through the loader tag and a multi-byte character. */
export const PAGE_CHUNKS = [PAGE.slice(0, 50), PAGE.slice(50, 120), PAGE.slice(120, 140), PAGE.slice(140)];

/** A page whose head prints the identity's script tag, as a template would. */
export const printedPage = (scriptTag: string | undefined) => `<html><head>${scriptTag ?? ''}</head><body>${LOADER}</body></html>`;

/** Request headers the test apps read the logged-in user and CSP nonce from. */
export const USER_HEADER = 'x-test-user';
export const NONCE_HEADER = 'x-test-nonce';

/** What the test apps put where the framework keeps its user: an object, or a bare string. */
export function userFromHeader(value: string | string[] | undefined): unknown {
  if (typeof value !== 'string') return undefined;
  return value.startsWith('{') ? JSON.parse(value) : value;
}
