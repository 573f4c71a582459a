// Turns what the app says about its visitor into something safe to send to HubSpot, or nothing; and keys it.
import { hmacSha256Base64Url, sha256Base64Url, sha256Bytes } from '../hash.js';

/**
 * What a visitor resolver may return: an email, a visitor, or nothing for an anonymous visitor. `null`
 * or `undefined` let a page anonymous when the middleware ran look again as it is sent (authentication
 * after the middleware); `false` says "no one, and no one later", so the resolver is asked once.
 */
export type VisitorInput = string | Visitor | null | undefined | false;

/** A visitor as HubSpot is told of them. */
export interface Visitor {
  email: string;
  firstName?: string;
  lastName?: string;
}

/** Longest email a mailbox can have (RFC 5321 path limit). */
const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 256;
// C0 and C1 control characters, DEL, and the line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export type VisitorCheck = { ok: true; visitor: Visitor } | { ok: false; reason: string } | { ok: true; visitor: null };

function cleanName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH || CONTROL.test(name)) return undefined;
  return name;
}

/** Passport's normalised profile: `emails: [{ value, verified? }]`, `name: { givenName, familyName }`. */
interface PassportProfile {
  emails?: unknown;
  name?: { givenName?: unknown; familyName?: unknown };
}

/** The profile's email: the first verified one when providers flag them, else the first with a value. */
function profileEmail(emails: unknown): unknown {
  if (!Array.isArray(emails)) return undefined;
  const usable = emails.filter(
    (entry): entry is { value: unknown; verified?: unknown } =>
      typeof entry === 'object' &&
      entry !== null &&
      (entry as { value?: unknown }).value !== undefined &&
      (entry as { value?: unknown }).value !== '',
  );
  const verified = usable.find((entry) => entry.verified === true || entry.verified === 'true');
  return (verified ?? usable[0])?.value;
}

/**
 * Checks a resolver's answer: an email, `{ email, firstName?, lastName? }` (or `first_name`/`last_name`),
 * or a Passport profile. Null/undefined/empty is an anonymous visitor; bad emails are refused with a reason.
 */
export function checkVisitor(input: VisitorInput | unknown): VisitorCheck {
  try {
    return readVisitor(input);
  } catch (error) {
    // The app's user object may be a proxy or carry lazy getters (an ORM's): one that throws names no one.
    return { ok: false, reason: `reading the visitor's fields threw (${(error as Error)?.message ?? String(error)})` };
  }
}

function readVisitor(input: VisitorInput | unknown): VisitorCheck {
  if (input === null || input === undefined || input === false || input === '') return { ok: true, visitor: null };
  const user = typeof input === 'object' ? (input as Record<string, unknown> & PassportProfile) : undefined;
  const raw = user ? (user['email'] ?? profileEmail(user.emails)) : input;
  if (raw === null || raw === undefined) return { ok: true, visitor: null };
  if (typeof raw !== 'string') return { ok: false, reason: `the visitor's email is a ${typeof raw}, not a string` };
  const email = raw.trim();
  if (email.length > MAX_EMAIL_LENGTH) return { ok: false, reason: `the visitor's email is longer than ${MAX_EMAIL_LENGTH} characters` };
  if (CONTROL.test(email)) return { ok: false, reason: "the visitor's email contains control characters" };
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return { ok: false, reason: "the visitor's email has no local part, @ and domain" };
  const visitor: Visitor = { email };
  if (user) {
    const name = typeof user.name === 'object' && user.name !== null ? user.name : {};
    const firstName = cleanName(user['firstName'] ?? user['first_name'] ?? name.givenName);
    const lastName = cleanName(user['lastName'] ?? user['last_name'] ?? name.familyName);
    if (firstName) visitor.firstName = firstName;
    if (lastName) visitor.lastName = lastName;
  }
  return { ok: true, visitor };
}

/**
 * The visitor part of a cache key: the trimmed email with only ASCII A-Z lower-cased. Unicode case
 * folding would merge distinct mailboxes (KELVIN SIGN `\u212Aate@x.io` folds to `kate@x.io`).
 */
export function emailKey(email: string): string {
  const trimmed = email.trim();
  return /[A-Z]/.test(trimmed) ? trimmed.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32)) : trimmed;
}

/** Access tokens an app uses at once: one, or one per tenant. Past this many, the oldest is worked out again. */
const ACCESS_TOKENS_KEPT = 1_000;

/** `derive(accessToken)`, kept for the most recent access tokens, so that pages do not hash them each time. */
function perAccessToken<T>(derive: (accessToken: string) => T): (accessToken: string) => T {
  const known = new Map<string, T>();
  return (accessToken) => {
    let value = known.get(accessToken);
    if (value === undefined) {
      value = derive(accessToken);
      if (known.size >= ACCESS_TOKENS_KEPT) known.delete(known.keys().next().value!);
      known.set(accessToken, value);
    }
    return value;
  };
}

/** A short, non-reversible name for a HubSpot account, from its access token. */
export const accountOf: (accessToken: string) => string = perAccessToken((accessToken) => sha256Base64Url(accessToken, 22));

/** A visitor's hashed store key and owner, as visitorKeys() works them out. */
export interface VisitorKeys {
  readonly key: string;
  readonly owner: string;
}

/**
 * What a store sees of one visitor of one account: `key`, the hashed store key, and `owner`, the hash
 * recorded in an entry so a token is served only to the visitor it was minted for. Neither holds the
 * email or the access token; both are salted with the account, so they cannot be looked up by email.
 */
export function visitorKeys(account: string, email: string): VisitorKeys {
  const normalized = emailKey(email);
  return { key: sha256Base64Url(`key\n${account}\n${normalized}`), owner: sha256Base64Url(`owner\n${account}\n${normalized}`, 22) };
}

const markerKeyOf = perAccessToken((accessToken) => sha256Bytes(`hubspot-identify logout marker\n${accessToken}`));

/**
 * The logout marker's value for a visitor of an account: an HMAC over the visitor's cache key (the
 * email as keyed), keyed by a hash of the access token. The same on every server sharing the token;
 * holds no email and cannot be computed from the email alone.
 */
export function markerValue(accessToken: string, email: string): string {
  return hmacSha256Base64Url(markerKeyOf(accessToken), emailKey(email), 22);
}
