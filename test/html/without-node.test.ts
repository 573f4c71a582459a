// html/ without Node (Workers without nodejs_compat, the Edge runtime): no Node built-in imported, and the same bytes with no global Buffer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMarkerInBytes, latin1, Latin1Reader } from '../../src/html/bytes.js';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';
import { StreamingInjector } from '../../src/html/inject-stream.js';

const TAG = '<script data-hubspot-identify nonce="ü">x()</script>';
const LOADER = '<script id="hs-script-loader" src="//js.hs-scripts.com/1.js"></script>';
const SOURCE = join(import.meta.dirname, '../../src/html');

/** Runs `run` with no global Buffer, as on a runtime without Node's. */
function withoutBuffer<T>(run: () => T): T {
  const saved = globalThis.Buffer;
  Reflect.deleteProperty(globalThis, 'Buffer');
  try {
    expect(typeof (globalThis as { Buffer?: unknown }).Buffer).toBe('undefined');
    return run();
  } finally {
    globalThis.Buffer = saved;
  }
}

const isBuffer = (bytes: Uint8Array) => Buffer.isBuffer(bytes);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function stream(bytes: Uint8Array, chunk: number): Uint8Array[] {
  const injector = new StreamingInjector(TAG);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(...injector.push(bytes.subarray(at, at + chunk)));
  pieces.push(...injector.end());
  return pieces;
}

const pages = [
  `<!doctype html><html><head><title>Grüße 🚀</title></head><body>日本 ${TAG.replace('ü', 'x')}</body></html>`,
  `<head><meta http-equiv="Content-Security-Policy" content="script-src &#39;self&#39;"></head><body>${LOADER}</body>`,
  `<body><p>${'x'.repeat(20_000)}</p><!-- ${TAG} -->${LOADER}</body>`,
  `<head>${TAG}</head>`,
  '<p>a fragment</p>',
];
// Bytes of a single-byte charset: 0x80-0x9f are where windows-1252 and latin1 differ, still one char each.
const latinBytes = Uint8Array.from([
  ...Buffer.from('<head><title>'),
  ...Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x3c),
  ...Buffer.from('</title></head><body></body>'),
]);

describe('html/ without Node', () => {
  it('imports no Node built-in, and names Buffer only to look for a global one', () => {
    for (const file of readdirSync(SOURCE)) {
      const source = readFileSync(join(SOURCE, file), 'utf8');
      expect(source, file).not.toMatch(/from ['"]node:|require\(|import\(['"]node:/);
      const code = source.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      if (file !== 'bytes.ts') expect(code, file).not.toMatch(/\bBuffer\b/);
    }
  });

  it.each(pages)('injects bytes and encoded strings the same with or without Buffer: %#', (html) => {
    const bytes = new Uint8Array(Buffer.from(html));
    const withNode = { bytes: injectIntoBytes(bytes, TAG), encoded: injectIntoHtmlAsBytes(html, TAG) };
    const without = withoutBuffer(() => ({ bytes: injectIntoBytes(bytes, TAG), encoded: injectIntoHtmlAsBytes(html, TAG) }));
    for (const key of ['bytes', 'encoded'] as const) {
      expect(without[key].outcome).toBe(withNode[key].outcome);
      expect(without[key].metaPolicies).toEqual(withNode[key].metaPolicies);
      expect(same(without[key].body, withNode[key].body)).toBe(true);
    }
    expect(Buffer.from(withNode.encoded.body).toString('utf8')).toBe(injectIntoHtml(html, TAG).html);
    if (withNode.bytes.outcome === 'injected') {
      expect(isBuffer(withNode.bytes.body)).toBe(true);
      expect(isBuffer(without.bytes.body)).toBe(false);
    }
    expect(isBuffer(withNode.encoded.body)).toBe(true);
    expect(isBuffer(without.encoded.body)).toBe(false);
  });

  it.each([1, 7, 4096])('streams the same bytes with or without Buffer, in chunks of %i', (chunk) => {
    for (const html of pages) {
      const bytes = new Uint8Array(Buffer.from(html));
      const withNode = Buffer.concat(stream(bytes, chunk));
      const without = withoutBuffer(() => stream(bytes, chunk));
      expect(same(Buffer.concat(without), withNode)).toBe(true);
    }
  });

  it('reads bytes of a single-byte charset as one char each, with or without Buffer', () => {
    const text = latin1(latinBytes);
    const decoded = withoutBuffer(() => latin1(latinBytes));
    expect(text).toHaveLength(latinBytes.length);
    expect(decoded).toHaveLength(latinBytes.length);
    for (let i = 0; i < text.length; i++) if (latinBytes[i]! < 0x80) expect(decoded[i]).toBe(text[i]);
    const out = withoutBuffer(() => injectIntoBytes(latinBytes, TAG).body);
    expect(same(out, injectIntoBytes(latinBytes, TAG).body)).toBe(true);
    expect(Buffer.from(out).indexOf(`${TAG.replace('ü', 'Ã¼')}</head>`, 0, 'latin1')).toBe(
      latinBytes.length - '</head><body></body>'.length,
    );
  });

  it.each([
    ['with Buffer', <T>(run: () => T) => run()],
    ['without Buffer', withoutBuffer],
  ])('finds our marker in bytes in any ASCII case, and nothing that only looks like it, %s', (_how, around) => {
    const find = (text: string, from = 0) => {
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      return around(() => new Latin1Reader(bytes).findMarker(from));
    };
    expect(find('xx data-hubspot-identify')).toBe(3);
    expect(find('<SCRIPT DATA-HubSpot-Identify>')).toBe(8);
    expect(find('data-hubspot-identif data-hubspot-identifx data_hubspot-identify')).toBe(-1);
    expect(find('data-hubspot-identify', 1)).toBe(-1);
    expect(find('data-hubspot-identify'.repeat(2), 1)).toBe(21);
    // Only ASCII letters fold: É (0xc9) is no I.
    expect(find('data-hubspot-\u00c9dentify')).toBe(-1);
    // Cut by every boundary of the 64 KB pieces a latin1 view is made in.
    for (const at of [65_536 - 21, 65_536 - 20, 65_536 - 1, 65_536, 131_072 - 30]) {
      expect(find(`${'x'.repeat(at)}data-hubspot-identify${'y'.repeat(70_000)}`)).toBe(at);
    }
    expect(find('z'.repeat(200_000))).toBe(-1);
  });

  it('finds our marker over the bytes themselves, up to a bound (a chunk boundary)', () => {
    const bytes = Buffer.from('xDATA-hubspot-identifyx', 'latin1');
    expect(findMarkerInBytes(bytes)).toBe(1);
    expect(findMarkerInBytes(bytes, 0, 21)).toBe(-1);
    expect(findMarkerInBytes(bytes, 0, 22)).toBe(1);
    expect(findMarkerInBytes(bytes, 2)).toBe(-1);
  });

  it.each([
    ['with Buffer', <T>(run: () => T) => run()],
    ['without Buffer', withoutBuffer],
  ])('finds a copy after the head wherever the latin1 pieces of a byte page are cut, %s', (_how, around) => {
    // Pieces of 4, 8, 16, 32 and 64 KB, each after the first starting the marker's length less one before the last one's end.
    const ends = [4096, 12_268, 28_632, 61_380];
    const head = '<head></head><body>';
    const copy = '<script data-hubspot-identify>x()</script>';
    for (const end of ends) {
      for (let marker = end - 25; marker <= end + 5; marker++) {
        const before = marker - head.length - '<script '.length;
        const html = `${head}${'x'.repeat(before)}${copy}${'y'.repeat(70_000)}</body>`;
        const bytes = new Uint8Array(Buffer.from(html));
        expect(
          around(() => injectIntoBytes(bytes, TAG).outcome),
          `marker at ${marker}`,
        ).toBe('present');
        const text = new Uint8Array(Buffer.from(html.replace(copy, `<!--${copy}-->`)));
        expect(
          around(() => injectIntoBytes(text, TAG).outcome),
          `marker at ${marker + 4}, in a comment`,
        ).toBe('injected');
      }
    }
  });
});
