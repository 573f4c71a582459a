// Who may read a visitor's token from tokenRoute: the site's own pages through fetch(), and clients that are not browsers.
//
// The token identifies the visitor to HubSpot, so another site must not get it with the visitor's
// cookies, whatever CORS the app set up. Browsers say where a request comes from (Sec-Fetch-Site,
// Origin) and what will consume the answer (Sec-Fetch-Dest); clients that send neither are not
// browsers, and carry no visitor's cookies but the ones they were given.

/** The answer's fixed headers, on a 200 as on a refusal: never cached, never sniffed as script, and varying with what was read. */
export const TOKEN_ROUTE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  Vary: 'Cookie, Origin, Sec-Fetch-Site, Sec-Fetch-Dest',
});

/** The request's own origin as the server sees it: its Host header, and whether it came over https (undefined: unknown). */
export interface OwnOrigin {
  host: string | undefined;
  secure: boolean | undefined;
}

// Long enough to recognise a value in a log line, short enough that no header fills it.
const quoted = (value: string) => JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

const ORIGIN = /^(https?):\/\/([^/?#\s@]+)$/i;
const DEFAULT_PORT: Record<string, string> = { http: ':80', https: ':443' };

/** A host[:port] lower-cased, without the scheme's default port. */
function authorityFor(scheme: string, authority: string): string {
  const lower = authority.toLowerCase();
  const port = DEFAULT_PORT[scheme]!;
  return lower.endsWith(port) ? lower.slice(0, -port.length) : lower;
}

/** Why an Origin header is not the request's own origin; undefined when it is. */
function foreignOrigin(origin: string, own: OwnOrigin): string | undefined {
  const parsed = ORIGIN.exec(origin.trim());
  if (!parsed) return `Origin ${quoted(origin)} is not the site's own origin.`;
  const scheme = parsed[1]!.toLowerCase();
  // Behind a TLS-terminating proxy a request may look like http while its page is https; never the reverse.
  if (scheme === 'http' && own.secure === true) return `Origin ${quoted(origin)} is http; the site is https.`;
  if (own.host === undefined || own.host === '') return `Origin ${quoted(origin)} cannot be compared: the request has no Host.`;
  // The page was at scheme://Host when it is same-origin, so both are read under the Origin's scheme.
  if (authorityFor(scheme, parsed[2]!) !== authorityFor(scheme, own.host.trim()))
    return `Origin ${quoted(origin)} is not the site's own origin.`;
  return undefined;
}

/**
 * Why a token-route request is refused (403), or undefined when it may have the token. Refused: a
 * `Sec-Fetch-Site` other than `same-origin` or `none`; a `Sec-Fetch-Dest` other than `empty` (a
 * `<script src>`, a frame, a navigation); an `Origin` that is `null` or not the request's own origin.
 * Requests without these headers (curl, server-to-server) and the site's own `fetch()` pass.
 */
export function tokenRouteRefusal(header: (name: string) => string | undefined, own: OwnOrigin): string | undefined {
  const site = header('sec-fetch-site');
  if (site !== undefined) {
    const value = site.trim().toLowerCase();
    if (value !== 'same-origin' && value !== 'none')
      return `Sec-Fetch-Site is ${quoted(site)}: the token is served to same-origin requests only.`;
  }
  const dest = header('sec-fetch-dest');
  if (dest !== undefined && dest.trim().toLowerCase() !== 'empty')
    return `Sec-Fetch-Dest is ${quoted(dest)}: the token is served to fetch() only.`;
  const origin = header('origin');
  return origin === undefined ? undefined : foreignOrigin(origin, own);
}
