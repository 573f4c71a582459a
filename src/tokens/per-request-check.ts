// Notices identifiers created per request, a wiring slip that calls HubSpot on every page, and says so once per process (to the logger).
//
// The sign: a token source created after another one minted a token for a visitor of an account
// mints again for that same visitor within the refresh period. Identifiers made once at start-up
// (one per tenant, or several sharing an account) were all created before any mint, so they never
// match; a visitor key is hashed with the account, so different accounts never match either.
import { HubSpotIdentifyError } from '../errors.js';
import type { Report } from '../report.js';

/** Recent mints remembered, whichever source made them: a slip mints on every page, so a few hundred show it. */
const MINTS_KEPT = 256;

interface Mint {
  source: number;
  /** When it was minted, on the minting source's clock. */
  at: number;
  /** Its place in this process's mints, for telling which sources were created after it. */
  serial: number;
}

const recent = new Map<string, Mint>();
let mints = 0;
let sources = 0;
let said = false;

/** What a token source is to the check: an id, and how many mints this process had made when it was created. */
export interface SourceMark {
  readonly id: number;
  readonly mintsBefore: number;
}

export function markSource(): SourceMark {
  return { id: ++sources, mintsBefore: mints };
}

/**
 * Records that `source` minted, at `at` on its clock, for the visitor stored under `key`; reports once
 * per process when that looks like identifiers created per request.
 */
export function noteMint(source: SourceMark, key: string, at: number, refreshAfter: number, warn: Report): void {
  const serial = ++mints;
  const before = recent.get(key);
  if (before === undefined) {
    if (recent.size >= MINTS_KEPT) recent.delete(recent.keys().next().value!);
  } else {
    recent.delete(key);
  }
  recent.set(key, { source: source.id, at, serial });
  if (said || before === undefined || before.source === source.id) return;
  if (source.mintsBefore < before.serial || at - before.at >= refreshAfter) return;
  said = true;
  warn(
    new HubSpotIdentifyError(
      'HSI_INVALID_OPTION',
      'A new identifier asked HubSpot for a token for a visitor another identifier got one for within the refresh period: identifiers seem to be created per request (e.g. app.get(path, (req, res, next) => hubspotIdentify()(req, res, next))), which calls HubSpot on every page. Create the middleware (or createIdentifier) once, at start-up, and reuse it.',
    ),
  );
}
