// The browser's memory of its visitor: the server's email key, and a SHA-256 that matches node:crypto's on every length and character.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emailKey, sha256Hex, visitorFingerprint } from '../../src/browser/visitor-fingerprint.js';
import { emailKey as serverEmailKey } from '../../src/tokens/visitor.js';

const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex', () => {
  it('matches node:crypto across block boundaries (0 to 200 bytes) and on multi-byte text', () => {
    for (let length = 0; length <= 200; length++) {
      const text = 'a'.repeat(length);
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text));
    }
    for (const text of ['abc', '\u212Aate@x.io', 'jos\u00e9@x.io', '\u7530\u4e2d@x.io', '\ud83d\ude80@x.io', 'x'.repeat(1000) + '\u00e9']) {
      expect(sha256Hex(text), text).toBe(nodeSha256(text));
    }
  });
});

describe('visitorFingerprint', () => {
  it('keys the email as the server does: trimmed, ASCII A-Z lower-cased, nothing else folded', () => {
    for (const email of [
      '  Ada@Example.COM ',
      '\u212Aate@x.io',
      'KATE@x.io',
      '\u0130stanbul@x.io',
      'Stra\u00dfe@x.io',
      '\u00c9lodie@x.io',
      '\u00a0ada@x.io\u2028',
    ]) {
      expect(emailKey(email), email).toBe(serverEmailKey(email));
    }
  });

  it('the Kelvin sign is not a k: kate@x.io and \\u212Aate@x.io are two visitors, as on the server', () => {
    expect(visitorFingerprint('kate@x.io')).not.toBe(visitorFingerprint('\u212Aate@x.io'));
    expect(visitorFingerprint(' Kate@X.io')).toBe(visitorFingerprint('kate@x.io'));
    expect(visitorFingerprint('\u00c9@x.io')).not.toBe(visitorFingerprint('\u00e9@x.io'));
  });
});
