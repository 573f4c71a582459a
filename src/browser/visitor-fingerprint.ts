// What the browser remembers of the visitor it identified: SHA-256 of the email as the server keys it, computed in plain JS as crypto.subtle needs https.

/** The email as the server keys it (tokens/visitor.ts): trimmed, only ASCII A-Z lower-cased, never Unicode case folding. */
export function emailKey(email: string): string {
  return email.trim().replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * A name for the visitor that two emails never share in practice, and that keeps the email out of
 * localStorage: hex SHA-256 of its key. Synchronous and without crypto.subtle, which plain-http pages lack.
 */
export function visitorFingerprint(email: string): string {
  return sha256Hex(emailKey(email));
}

// SHA-256's constants: the first 32 bits of the fractional parts of the square roots (initial hash) and
// cube roots (round constants) of the first primes, computed once on first use rather than listed.
let constants: { initial: number[]; rounds: number[] } | null = null;

function sha256Constants(): { initial: number[]; rounds: number[] } {
  if (constants) return constants;
  const fraction = (x: number) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
  const initial: number[] = [];
  const rounds: number[] = [];
  for (let n = 2; rounds.length < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    if (initial.length < 8) initial.push(fraction(Math.sqrt(n)));
    rounds.push(fraction(Math.cbrt(n)));
  }
  return (constants = { initial, rounds });
}

const rotate = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** FIPS 180-4 SHA-256 of the UTF-8 bytes of `text`, in hex. */
export function sha256Hex(text: string): string {
  const { initial, rounds } = sha256Constants();
  const bytes = new TextEncoder().encode(text);
  // The message, a 1 bit, zeros, and its length in bits as the block's last 8 bytes (the high word is 0 below 512 MB).
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 4, bytes.length * 8);
  const hash = initial.slice();
  const words = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) words[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = words[i - 15]!;
      const w2 = words[i - 2]!;
      const s0 = rotate(w15, 7) ^ rotate(w15, 18) ^ (w15 >>> 3);
      const s1 = rotate(w2, 17) ^ rotate(w2, 19) ^ (w2 >>> 10);
      words[i] = words[i - 16]! + s0 + words[i - 7]! + s1;
    }
    let [a, b, c, d, e, f, g, h] = hash as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) + ((e & f) ^ (~e & g)) + rounds[i]! + words[i]!) | 0;
      const t2 = ((rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, h].forEach((value, i) => {
      hash[i] = (hash[i]! + value) | 0;
    });
  }
  return hash.map((value) => (value >>> 0).toString(16).padStart(8, '0')).join('');
}
