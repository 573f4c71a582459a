// Turns what the app says about its visitor into something safe to send to HubSpot, or nothing.
import type { Visitor, VisitorInput } from '../options.js';

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

/** Checks a resolver's answer. Null/undefined/empty is an anonymous visitor; bad emails are refused with a reason. */
export function checkVisitor(input: VisitorInput | unknown): VisitorCheck {
  if (input === null || input === undefined || input === false || input === '') return { ok: true, visitor: null };
  const raw = typeof input === 'object' ? (input as { email?: unknown }).email : input;
  if (raw === null || raw === undefined) return { ok: true, visitor: null };
  if (typeof raw !== 'string') return { ok: false, reason: `the visitor's email is a ${typeof raw}, not a string` };
  const email = raw.trim();
  if (email.length > MAX_EMAIL_LENGTH) return { ok: false, reason: `the visitor's email is longer than ${MAX_EMAIL_LENGTH} characters` };
  if (CONTROL.test(email)) return { ok: false, reason: "the visitor's email contains control characters" };
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return { ok: false, reason: "the visitor's email has no local part, @ and domain" };
  const visitor: Visitor = { email };
  if (typeof input === 'object') {
    const user = input as Record<string, unknown>;
    const firstName = cleanName(user['firstName'] ?? user['first_name']);
    const lastName = cleanName(user['lastName'] ?? user['last_name']);
    if (firstName) visitor.firstName = firstName;
    if (lastName) visitor.lastName = lastName;
  }
  return { ok: true, visitor };
}

/** The cache key part for a visitor: HubSpot treats emails case-insensitively. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}
