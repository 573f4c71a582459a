// The caching headers of a response that carries a visitor's identity, and the request validators that could match another's.

// Directives that let a cache (a shared browser's own included) reuse a response without asking the
// server: an identified page reused that way shows the next visitor the previous one's token.
const REUSE = /^(public|private|max-age|s-maxage|stale-while-revalidate|stale-if-error|immutable)\b/i;

/**
 * Cache-Control for a response that carries an identity: `private`, with the app's other directives
 * (`no-store`, `no-cache`, `must-revalidate`, …) but none that lets a cache reuse it unasked (`public`
 * and every lifetime go, beside `no-store` too).
 */
export function privateCacheControl(existing: unknown): string {
  // The usual case, already made private by the rules: as it is, without re-reading it.
  if (existing === undefined || existing === null || existing === '' || existing === 'private') return 'private';
  const current = typeof existing === 'string' ? existing : Array.isArray(existing) ? existing.join(', ') : '';
  const kept = current
    .split(',')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && !REUSE.test(directive));
  return ['private', ...kept].join(', ');
}

// Request headers that let a framework answer 304 from a validator: on an identified page load, the
// validator may be of a page cached for someone else (or anonymous), so the page is sent in full.
export const CONDITIONALS = ['if-none-match', 'if-modified-since'] as const;

/** Drops the conditional headers of an identified page load (Node's lower-cased request headers). */
export function dropConditionals(headers: Record<string, unknown>): void {
  for (const name of CONDITIONALS) if (headers[name] !== undefined) delete headers[name];
}
