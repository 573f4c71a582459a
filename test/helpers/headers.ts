// Response headers in a plain map, names lower-cased as Node keeps them: what the rules read and write in unit tests.
import type { HeaderAccess } from '../../src/http/response-policy.js';

export function headersOf(initial: Record<string, string | string[]>): HeaderAccess & { all: Record<string, string | string[]> } {
  const all: Record<string, string | string[]> = Object.fromEntries(
    Object.entries(initial).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    all,
    get: (name) => all[name.toLowerCase()],
    set: (name, value) => {
      all[name.toLowerCase()] = value;
    },
    remove: (name) => {
      delete all[name.toLowerCase()];
    },
  };
}
