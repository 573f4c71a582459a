// The token route's own rules: which requests may read a visitor's token, and the headers of every answer.

/** Headers of every token-route answer: JSON, never cached or sniffed, varying with what it read. */
export const TOKEN_ROUTE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Vary': 'Cookie, Origin, Sec-Fetch-Site, Sec-Fetch-Dest',
});

/** Why a token-route request is refused (403), or undefined for a same-origin browser request or a client that is no browser. */
export function tokenRouteRefusal(header: (name: string) => string | undefined, own: { host: string | undefined; secure: boolean | undefined }): string | undefined {
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const dest = header('sec-fetch-dest');
  if (dest !== undefined && dest !== 'empty') return `Sec-Fetch-Dest is ${dest}`;
  const origin = header('origin');
  if (origin === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `Origin ${origin} is not this site`;
  }
  if (own.host === undefined || url.host !== own.host.toLowerCase() || (own.secure && url.protocol !== 'https:')) return `Origin ${origin} is not this site`;
  return undefined;
}
