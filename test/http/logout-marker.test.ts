// The logout marker cookie: reading it back from any Cookie header, and the Set-Cookie values (its value is a visitor key: test/tokens/visitor.test.ts).
import { describe, expect, it } from 'vitest';
import { expireMarkerCookie, holdsMarker, mayHoldMarker, readMarker, setMarkerCookie } from '../../src/http/logout-marker.js';

describe('readMarker', () => {
  it.each([
    ['hsi_v=abc', 'abc'],
    ['a=1; hsi_v=abc; b=2', 'abc'],
    ['a=1;hsi_v=abc', 'abc'],
    ['a=1;   hsi_v = abc ;b=2', 'abc'],
    ['hsi_v="abc"', 'abc'],
    ['xhsi_v=nope; hsi_v=abc', 'abc'],
    ['hsi_vx=nope; a=hsi_v=nope; hsi_v=abc', 'abc'],
    ['hsi_v=first; hsi_v=second', 'first'],
  ])('finds the marker in %j', (header, value) => {
    expect(readMarker(header)).toBe(value);
  });

  it.each([[undefined], [null], [42], [['hsi_v=abc']], [''], ['a=1'], ['hsi_v='], ['hsi_v=""'], ['xhsi_v=abc'], ['hsi_v'], ['a=hsi_v=abc']])(
    'ignores %j', (header) => {
      expect(readMarker(header)).toBeUndefined();
    });
});

describe('holdsMarker', () => {
  it('matches the exact value, wherever it sits, quoted or not', () => {
    expect(holdsMarker('a=1; hsi_v=abc; b=2', 'abc')).toBe(true);
    expect(holdsMarker('hsi_v=abc', 'abc')).toBe(true);
    expect(holdsMarker('hsi_v="abc"', 'abc')).toBe(true);
  });

  it('does not match a longer value, another cookie, or bad input', () => {
    expect(holdsMarker('hsi_v=abcd', 'abc')).toBe(false);
    expect(holdsMarker('xhsi_v=abc', 'abc')).toBe(false);
    expect(holdsMarker(undefined, 'abc')).toBe(false);
    expect(holdsMarker('a=1', 'abc')).toBe(false);
  });

  it('mayHoldMarker answers false for requests without one', () => {
    expect(mayHoldMarker('a=1; b=2')).toBe(false);
    expect(mayHoldMarker(undefined)).toBe(false);
    expect(mayHoldMarker('hsi_v=abc')).toBe(true);
  });
});

describe('Set-Cookie values', () => {
  it('set the marker for 13 months, HttpOnly, SameSite=Lax, on the whole site; Secure over https', () => {
    expect(setMarkerCookie('abc', false)).toBe('hsi_v=abc; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax');
    expect(setMarkerCookie('abc', true)).toBe('hsi_v=abc; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax; Secure');
  });

  it('expire it on the same path', () => {
    expect(expireMarkerCookie(false)).toBe('hsi_v=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    expect(expireMarkerCookie(true)).toBe('hsi_v=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure');
  });
});
