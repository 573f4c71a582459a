// Which requests are page loads, and which responses are HTML the script may be injected into.

// Browsers' page loads name text/html; fetch, XHR, images and scripts send */* alone or their own type.
const NAMES_HTML = /(^|[\s,])text\/html\s*(;|,|$)/i;

/** A page load: a GET or HEAD request whose Accept names `text/html`. `*\/*` alone is not one. */
export function acceptsHtml(method: string, accept: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && accept !== undefined && NAMES_HTML.test(accept);
}

export function isHtml(contentType: unknown): boolean {
  return typeof contentType === 'string' && /^\s*text\/html\b/i.test(contentType);
}

/** Whether a body is encoded (gzip, br, …) and so must be left alone. */
export function isEncoded(contentEncoding: unknown): boolean {
  return (
    contentEncoding !== undefined &&
    contentEncoding !== null &&
    String(contentEncoding).toLowerCase() !== 'identity' &&
    String(contentEncoding) !== ''
  );
}

/**
 * Whether a TLS-terminating proxy says the request came over https: `X-Forwarded-Proto: https` (its
 * first value) or `Forwarded: proto=https`. Trusting it costs nothing: a client that claims https over
 * plain http only gets a Secure cookie its browser will not keep.
 */
export function forwardedHttps(header: (name: string) => string | undefined): boolean {
  const proto = header('x-forwarded-proto');
  if (proto !== undefined) return proto.split(',', 1)[0]!.trim().toLowerCase() === 'https';
  const forwarded = header('forwarded');
  return forwarded !== undefined && /(?:^|[;,\s])proto="?https"?(?:[;,\s]|$)/i.test(forwarded.split(',', 1)[0]!);
}
