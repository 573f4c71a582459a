// Which requests are page loads, and which responses are HTML the script may be injected into.

/** Accept headers that take an HTML page: absent, text/html, text/* or *\/*. */
const TAKES_HTML = /text\/html|text\/\*|\*\/\*/i;

export function acceptsHtml(method: string, accept: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && (accept === undefined || accept === '' || TAKES_HTML.test(accept));
}

export function isHtml(contentType: unknown): boolean {
  return typeof contentType === 'string' && /^\s*text\/html\b/i.test(contentType);
}

/** Whether a body is encoded (gzip, br, …) and so must be left alone. */
export function isEncoded(contentEncoding: unknown): boolean {
  return contentEncoding !== undefined && contentEncoding !== null && String(contentEncoding).toLowerCase() !== 'identity' && String(contentEncoding) !== '';
}
