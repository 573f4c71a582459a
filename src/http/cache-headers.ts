// The caching headers of a response that carries a visitor's identity.

/** Cache-Control for a response that carries an identity: `private`, or the app's stricter `no-store`. */
export function privateCacheControl(existing: unknown): string {
  if (existing === undefined || existing === null || existing === '') return 'private';
  const current = typeof existing === 'string' ? existing : Array.isArray(existing) ? existing.join(', ') : '';
  if (/\bno-store\b/i.test(current)) return current;
  const kept = current.split(',').map((directive) => directive.trim())
    .filter((directive) => directive !== '' && !/^(public|private|s-maxage\b.*)$/i.test(directive));
  return ['private', ...kept].join(', ');
}
