// What is and is not sent to HubSpot as a visitor, and the keys that name them without their email.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountOf, checkVisitor, emailKey, markerValue, visitorKeys } from '../../src/tokens/visitor.js';

describe('checkVisitor', () => {
  it.each([null, undefined, '', false, { email: null }, {}])('treats %j as an anonymous visitor', (input) => {
    expect(checkVisitor(input)).toEqual({ ok: true, visitor: null });
  });

  it('takes an email string, trimmed', () => {
    expect(checkVisitor('  ada@example.com ')).toEqual({ ok: true, visitor: { email: 'ada@example.com' } });
  });

  it('takes names in either spelling and drops unusable ones', () => {
    expect(checkVisitor({ email: 'a@b.co', first_name: ' Ada ', last_name: 'Lovelace' })).toEqual({
      ok: true,
      visitor: { email: 'a@b.co', firstName: 'Ada', lastName: 'Lovelace' },
    });
    expect(checkVisitor({ email: 'a@b.co', firstName: 42, lastName: 'x\u0000y' })).toEqual({ ok: true, visitor: { email: 'a@b.co' } });
    expect(checkVisitor({ email: 'a@b.co', firstName: 'x'.repeat(300) })).toEqual({ ok: true, visitor: { email: 'a@b.co' } });
  });

  it.each([
    [42, /not a string/],
    [{ email: ['a@b.co'] }, /not a string/],
    ['no-at-sign', /no local part, @ and domain/],
    ['@example.com', /no local part/],
    ['ada@', /no local part/],
    ['ada\n@example.com', /control characters/],
    ['ada@exa\u0000mple.com', /control characters/],
    ['ada\u2028x@example.com', /control characters/],
    [`${'a'.repeat(250)}@x.io`, /longer than 254/],
  ])('refuses %j', (input, reason) => {
    const result = checkVisitor(input);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.reason).toMatch(reason);
  });

  it('accepts exactly 254 characters and a quoted local part', () => {
    expect(checkVisitor(`${'a'.repeat(249)}@x.io`).ok).toBe(true);
    expect(checkVisitor('"</script>"@x.io')).toEqual({ ok: true, visitor: { email: '"</script>"@x.io' } });
  });

  it('keys visitors by trimmed email with only ASCII letters lower-cased', () => {
    expect(emailKey('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(emailKey('\u212Aate@x.io')).toBe('\u212Aate@x.io');
    expect(emailKey('\u0130nci@x.io')).toBe('\u0130nci@x.io');
    expect(emailKey('ÉLODIE@x.io')).toBe('Élodie@x.io');
  });
});

describe('visitorKeys', () => {
  it('KELVIN SIGN is not K: distinct store keys and owners', () => {
    const kelvin = visitorKeys('acct', '\u212Aate@x.io');
    const kate = visitorKeys('acct', 'kate@x.io');
    expect(kelvin.key).not.toBe(kate.key);
    expect(kelvin.owner).not.toBe(kate.owner);
  });

  it('is the same for ASCII case variants, differs per account, and holds no email or token', () => {
    expect(visitorKeys('acct', ' Kate@X.io')).toEqual(visitorKeys('acct', 'kate@x.io'));
    expect(visitorKeys('other', 'kate@x.io').key).not.toBe(visitorKeys('acct', 'kate@x.io').key);
    const { key, owner } = visitorKeys(accountOf('pat-secret'), 'kate@x.io');
    expect(key).toMatch(/^[\w-]{43}$/);
    expect(owner).toMatch(/^[\w-]{22}$/);
    expect(`${key}${owner}`).not.toMatch(/kate|secret/);
  });

  it('are the keys node:crypto gave before, so entries in a shared store survive the upgrade', () => {
    const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
    const account = accountOf('pat-secret');
    expect(account).toBe(digest('pat-secret').slice(0, 22));
    expect(visitorKeys(account, 'Kate@X.io')).toEqual({
      key: digest(`key\n${account}\nkate@x.io`),
      owner: digest(`owner\n${account}\nkate@x.io`).slice(0, 22),
    });
    expect(visitorKeys(account, '\u212Aate@x.io').key).toBe(digest(`key\n${account}\n\u212Aate@x.io`));
  });
});

describe('markerValue', () => {
  it('is short, URL-safe, and the same on every server sharing the access token', () => {
    const value = markerValue('pat-test', 'ada@example.com');
    expect(value).toMatch(/^[\w-]{22}$/);
    expect(markerValue('pat-test', 'ada@example.com')).toBe(value);
  });

  it('follows the cache key: trimmed, ASCII letters lower-cased, never Unicode case folding', () => {
    const value = markerValue('pat-test', 'ada@example.com');
    expect(markerValue('pat-test', '  Ada@EXAMPLE.com ')).toBe(value);
    expect(markerValue('pat-test', '\u212Aate@x.io')).not.toBe(markerValue('pat-test', 'kate@x.io'));
  });

  it('differs by visitor and by account, and is not a plain hash of the email', () => {
    const value = markerValue('pat-test', 'ada@example.com');
    expect(markerValue('pat-test', 'bob@example.com')).not.toBe(value);
    expect(markerValue('pat-other', 'ada@example.com')).not.toBe(value);
    for (const algorithm of ['sha256', 'sha1', 'md5']) {
      expect(createHash(algorithm).update('ada@example.com').digest('base64url')).not.toContain(value);
    }
  });

  it('is the value node:crypto gave before, so markers set by earlier releases still match', () => {
    const key = createHash('sha256').update('hubspot-identify logout marker\npat-test').digest();
    const before = createHmac('sha256', key).update('ada@example.com').digest('base64url').slice(0, 22);
    expect(markerValue('pat-test', ' Ada@Example.com')).toBe(before);
  });
});

describe("Passport's normalised profile", () => {
  it('takes the first email with a value, and givenName/familyName', () => {
    const profile = {
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: '' }, { value: 'ada@example.com' }, { value: 'b@example.com' }],
    };
    expect(checkVisitor(profile)).toEqual({ ok: true, visitor: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' } });
  });

  it('prefers a verified email when the provider flags them', () => {
    const profile = {
      emails: [
        { value: 'old@example.com', verified: false },
        { value: 'ada@example.com', verified: true },
      ],
    };
    expect(checkVisitor(profile)).toEqual({ ok: true, visitor: { email: 'ada@example.com' } });
    expect(checkVisitor({ emails: [{ value: 'x@example.com' }, { value: 'y@example.com', verified: 'true' }] })).toMatchObject({
      visitor: { email: 'y@example.com' },
    });
  });

  it('a profile without emails is anonymous; a non-string email is refused', () => {
    expect(checkVisitor({ displayName: 'Ada', emails: [] })).toEqual({ ok: true, visitor: null });
    expect(checkVisitor({ emails: 'ada@example.com' })).toEqual({ ok: true, visitor: null });
    expect(checkVisitor({ emails: [{ value: 42 }] }).ok).toBe(false);
  });

  it('an own email field wins over the profile', () => {
    expect(checkVisitor({ email: 'own@example.com', emails: [{ value: 'p@example.com' }] })).toMatchObject({
      visitor: { email: 'own@example.com' },
    });
  });
});
