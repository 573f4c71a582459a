// SHA-256 and HMAC-SHA-256 without node:crypto, so the core loads on Workers and Edge runtimes as on Node.
//
// Synchronous, which Web Crypto's subtle.digest is not: a cache key is worked out on the page's own
// tick. @noble/hashes is audited and has no dependencies; the inputs are short (keys, tokens, scripts).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

const encoder = new TextEncoder();
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The first `length` characters of `bytes` in base64 with the given alphabet, `=`-padded when whole
 * and asked to. Built from character codes in one go: a string grown by `+=` is a tree of pieces (a
 * 43-character key took 500 bytes of heap), and a slice of a longer string keeps the longer one alive.
 */
function toBase64(bytes: Uint8Array, alphabet: string, pad: boolean, length = Math.ceil((bytes.length * 4) / 3)): string {
  const codes: number[] = [];
  for (let i = 0; i < bytes.length && codes.length < length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const sextets = Math.min(4, Math.ceil(((bytes.length - i) * 4) / 3));
    for (let k = 0; k < sextets && codes.length < length; k++) codes.push(alphabet.charCodeAt((n >>> (18 - 6 * k)) & 63));
  }
  if (pad && codes.length === Math.ceil((bytes.length * 4) / 3)) while (codes.length % 4 !== 0) codes.push(61);
  return String.fromCharCode(...codes);
}

/** The SHA-256 digest of the text's UTF-8 bytes. */
export function sha256Bytes(text: string): Uint8Array {
  return sha256(encoder.encode(text));
}

/** SHA-256 of the text's UTF-8 bytes in base64url: all 43 characters, or the first `length`. For keys. */
export function sha256Base64Url(text: string, length?: number): string {
  return toBase64(sha256Bytes(text), BASE64URL, false, length);
}

/** SHA-256 of the text's UTF-8 bytes in padded base64, as a CSP `'sha256-…'` source writes it. */
export function sha256Base64(text: string): string {
  return toBase64(sha256Bytes(text), BASE64, true);
}

/** HMAC-SHA-256 of the text's UTF-8 bytes under `key`, in base64url: all 43 characters, or the first `length`. */
export function hmacSha256Base64Url(key: Uint8Array, text: string, length?: number): string {
  return toBase64(hmac(sha256, key, encoder.encode(text)), BASE64URL, false, length);
}
