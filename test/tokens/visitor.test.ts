// What is and is not sent to HubSpot as a visitor.
import { describe, expect, it } from 'vitest';
import { checkVisitor, emailKey } from '../../src/tokens/visitor.js';

describe('checkVisitor', () => {
  it.each([null, undefined, '', false, { email: null }, {}])('treats %j as an anonymous visitor', (input) => {
    expect(checkVisitor(input)).toEqual({ ok: true, visitor: null });
  });

  it('takes an email string, trimmed', () => {
    expect(checkVisitor('  ada@example.com ')).toEqual({ ok: true, visitor: { email: 'ada@example.com' } });
  });

  it('takes names in either spelling and drops unusable ones', () => {
    expect(checkVisitor({ email: 'a@b.co', first_name: ' Ada ', last_name: 'Lovelace' })).toEqual({
      ok: true, visitor: { email: 'a@b.co', firstName: 'Ada', lastName: 'Lovelace' },
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

  it('keys visitors by trimmed, lower-cased email', () => {
    expect(emailKey('  Ada@Example.COM ')).toBe('ada@example.com');
  });
});
