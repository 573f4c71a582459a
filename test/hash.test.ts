// SHA-256 and HMAC-SHA-256 without node:crypto give what node:crypto gives, for the texts the package hashes.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256Base64Url, sha256Base64, sha256Base64Url, sha256Bytes } from '../src/hash.js';

const TEXTS = [
  '',
  'a',
  'ab',
  'abc',
  'key\nacct\nkate@x.io',
  '\u212Aate@x.io',
  'Grüße 🚀 日本',
  'x'.repeat(55),
  'x'.repeat(56),
  'x'.repeat(64),
  'x'.repeat(1000),
];

describe('sha256', () => {
  it.each(TEXTS)("of %j is node:crypto's, in base64url and in padded base64", (text) => {
    expect(sha256Base64Url(text)).toBe(createHash('sha256').update(text, 'utf8').digest('base64url'));
    expect(sha256Base64(text)).toBe(createHash('sha256').update(text, 'utf8').digest('base64'));
    expect(Buffer.from(sha256Bytes(text)).equals(createHash('sha256').update(text, 'utf8').digest())).toBe(true);
  });

  it('gives the first `length` characters when asked', () => {
    const whole = sha256Base64Url('pat-secret');
    expect(sha256Base64Url('pat-secret', 22)).toBe(whole.slice(0, 22));
    expect(sha256Base64Url('pat-secret', 43)).toBe(whole);
  });
});

describe('hmacSha256Base64Url', () => {
  it.each(TEXTS)("of %j is node:crypto's, for a 32-byte key and a key longer than a block", (text) => {
    for (const key of [sha256Bytes('k'), new Uint8Array(100).fill(7)]) {
      expect(hmacSha256Base64Url(key, text)).toBe(createHmac('sha256', key).update(text, 'utf8').digest('base64url'));
    }
    expect(hmacSha256Base64Url(sha256Bytes('k'), text, 22)).toBe(
      createHmac('sha256', sha256Bytes('k')).update(text, 'utf8').digest('base64url').slice(0, 22),
    );
  });
});
