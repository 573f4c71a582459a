// How far the scanner reads, counted in chars: the head of a page whose loader is at its end, as a string, bytes and a stream.
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';
import { MAX_UNREAD, StreamingInjector } from '../../src/html/inject-stream.js';
import { HtmlScanner } from '../../src/html/scanner.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/12345.js"></script>';
const HEAD = '<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><link rel="stylesheet" href="/app.css"></head>';
const PARAGRAPH = '<p class="lead text-gray-700">Lorem ipsum dolor sit amet — grüße, 日本, 🚀. <a href="/x">more</a></p>\n';

/** A page of about `bytes` of UTF-8, the loader at the end of its body, `middle` halfway through it. */
function page(bytes: number, middle = ''): string {
  const count = Math.round((bytes - HEAD.length) / Buffer.byteLength(PARAGRAPH));
  const half = PARAGRAPH.repeat(count >> 1);
  return `${HEAD}<body><main>${half}${middle}${half}</main>${LOADER}</body></html>`;
}

/** Chars the scanner reads while `run` runs. */
function charsRead(run: () => void): number {
  const before = HtmlScanner.charsRead;
  run();
  return HtmlScanner.charsRead - before;
}

function stream(bytes: Uint8Array, chunk: number): { out: string; outcome: string | undefined } {
  const injector = new StreamingInjector(TAG);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += chunk) pieces.push(...injector.push(bytes.subarray(at, at + chunk)));
  pieces.push(...injector.end());
  return { out: Buffer.concat(pieces).toString('utf8'), outcome: injector.outcome };
}

const headEnd = HEAD.length;

describe('the scanner reads a page only as far as it must', () => {
  const html = page(16 * 1024);
  const bytes = Buffer.from(html);

  it('16 KB, loader at the end: a string is read to </head> and no further', () => {
    expect(html.length).toBeGreaterThan(14 * 1024);
    expect(charsRead(() => expect(injectIntoHtml(html, TAG).outcome).toBe('injected'))).toBe(headEnd);
    expect(charsRead(() => injectIntoHtmlAsBytes(html, TAG))).toBe(headEnd);
  });

  it('16 KB, loader at the end: bytes are read to </head> and no further', () => {
    expect(bytes.length).toBeGreaterThan(16 * 1024);
    expect(charsRead(() => expect(injectIntoBytes(bytes, TAG).outcome).toBe('injected'))).toBe(headEnd);
  });

  it.each([1, 100, 1024, 16 * 1024, 64 * 1024])(
    '16 KB, loader at the end: a stream in chunks of %i bytes is read to </head> and no further',
    (chunk) => {
      let result: ReturnType<typeof stream> | undefined;
      expect(charsRead(() => (result = stream(bytes, chunk)))).toBe(headEnd);
      expect(result).toEqual({ out: html.replace('</head>', `${TAG}</head>`), outcome: 'injected' });
    },
  );

  it('a copy of our script as text halfway through is read to, and the rest is not', () => {
    const comment = `<!-- ${TAG} -->`;
    const withComment = page(16 * 1024, comment);
    const marker = withComment.indexOf('data-hubspot-identify');
    const read = charsRead(() => expect(injectIntoHtml(withComment, TAG).outcome).toBe('injected'));
    expect(read).toBeGreaterThan(marker - headEnd);
    expect(read).toBeLessThan(marker + 64);
    const readBytes = charsRead(() => expect(injectIntoBytes(Buffer.from(withComment), TAG).outcome).toBe('injected'));
    expect(readBytes).toBeLessThan(Buffer.from(withComment).indexOf('data-hubspot-identify') + 64);
  });

  it('a real copy halfway through is read to, and the page is left as it is', () => {
    const withCopy = page(16 * 1024, TAG);
    const end = withCopy.indexOf(TAG) + TAG.indexOf('>') + 1;
    expect(charsRead(() => expect(injectIntoHtml(withCopy, TAG)).toEqual({ html: withCopy, outcome: 'present' }))).toBe(end);
  });

  it('a stream reads the chunk where a copy turns up, and what it kept since </head>', () => {
    const withCopy = page(16 * 1024, TAG);
    const copyBytes = Buffer.from(withCopy);
    const copyAt = copyBytes.indexOf(TAG);
    let result: ReturnType<typeof stream> | undefined;
    const read = charsRead(() => (result = stream(copyBytes, 1024)));
    // Up to the end of the 1 KB chunk holding the copy's end, and not much further.
    expect(read).toBe(Math.min(copyBytes.length, Math.ceil((copyAt + TAG.length) / 1024) * 1024));
    expect(result!.out).toBe(withCopy.replace(TAG, '').replace('</head>', `${TAG}</head>`));
  });

  it(`a stream catches up once it has kept ${MAX_UNREAD} bytes, still reading each byte once`, () => {
    const long = Buffer.from(page(4 * MAX_UNREAD));
    const read = charsRead(() => expect(stream(long, 4096).outcome).toBe('injected'));
    expect(read).toBeGreaterThan(2 * MAX_UNREAD);
    expect(read).toBeLessThanOrEqual(long.length);
  });
});
