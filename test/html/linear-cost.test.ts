// The scan is linear: on pathological pages the chars it reads grow with the page, never with the page squared.
// Work is counted, not timed: every char read through charCodeAt, indexOf or slice. Timings live in bench/injection.mjs.
import { afterEach, describe, expect, it } from 'vitest';
import { injectIntoHtml } from '../../src/html/inject.js';
import { MAX_UNREAD, StreamingInjector } from '../../src/html/inject-stream.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

// The pages that were quadratic or worse before the scanner (issue 8), and a few more near-misses.
const pages: Record<string, (length: number) => string> = {
  'all <': (n) => fill('<', n),
  'an unterminated comment': (n) => '<head><!--' + fill('x-', n - 10),
  'an unterminated attribute quote': (n) => '<head><p title="' + fill('x', n - 16),
  'text repeating hs-script-loader': (n) => '<head><p>' + fill('hs-script-loader ', n - 9),
  'near-miss <script id=hs-script-loade': (n) => fill('<script id=hs-script-loade', n),
  'near-miss </hea': (n) => fill('</hea', n),
  'near-miss </bod': (n) => fill('</bod', n),
  'a script body of <!--<script>': (n) => '<head><script>' + fill('<!--<script>', n - 14),
  'tags with quoted attributes': (n) => fill('<a href="/x" class=\'y\' data-x=z>t</a>', n),
  'unfinished script start tags': (n) => fill('<script data-hubspot-identify id="hs-script-loader" ', n),
};
// After the insertion point, where the scanner reads on only to each occurrence of our marker, and a stream
// reads the chunks it kept only past MAX_UNREAD bytes of them: measured below that bound and twice past it.
const afterHead: Record<string, (length: number) => string> = {
  'a script body repeating our marker after </head>': (n) => '<head></head><body><script>' + fill('data-hubspot-identify ', n - 27),
  'comments holding our script after </head>': (n) => '<head></head><body>' + fill(`<!-- ${TAG} -->`, n - 19),
  'attribute values holding our marker after </head>': (n) =>
    '<head></head><body>' + fill('<p title="data-hubspot-identify">x</p>', n - 19),
  'our script repeated after </head>': (n) => '<head></head><body>' + fill(TAG, n - 19),
  'unfinished script start tags after </head>': (n) => '<head></head><body>' + fill('<script data-x="<', n - 19),
};

const original = { charCodeAt: String.prototype.charCodeAt, indexOf: String.prototype.indexOf, slice: String.prototype.slice };
let work = 0;

function counting(): void {
  work = 0;
  String.prototype.charCodeAt = function (this: string, index: number) {
    work++;
    return original.charCodeAt.call(this, index);
  };
  String.prototype.indexOf = function (this: string, search: string, from = 0) {
    const found = original.indexOf.call(this, search, from);
    work += (found === -1 ? this.length : found + search.length) - from;
    return found;
  };
  String.prototype.slice = function (this: string, start?: number, end?: number) {
    const piece = original.slice.call(this, start, end);
    work += piece.length;
    return piece;
  };
}

afterEach(() => Object.assign(String.prototype, original));

/** Chars read per char of page, scanning `html` whole and as a stream of 1 KB chunks. */
function workPerChar(html: string): { whole: number; stream: number } {
  const bytes = Buffer.from(html, 'latin1');
  counting();
  injectIntoHtml(html, TAG);
  const whole = work / html.length;
  counting();
  const injector = new StreamingInjector(TAG);
  for (let at = 0; at < bytes.length; at += 1024) injector.push(bytes.subarray(at, at + 1024));
  injector.end();
  const stream = work / html.length;
  Object.assign(String.prototype, original);
  return { whole, stream };
}

/** Asserts a bounded number of reads per char, and no more per char on the larger page. */
function expectLinear(small: { whole: number; stream: number }, large: { whole: number; stream: number }): void {
  for (const cost of [small, large]) {
    expect(cost.whole).toBeLessThanOrEqual(6);
    expect(cost.stream).toBeLessThanOrEqual(6);
  }
  expect(large.whole).toBeLessThanOrEqual(small.whole * 1.05 + 0.01);
  expect(large.stream).toBeLessThanOrEqual(small.stream * 1.05 + 0.01);
}

describe('linear cost', () => {
  it.each(Object.entries(pages))('%s: a bounded number of reads per char, the same at 16 KB and 128 KB', (_name, make) => {
    expectLinear(workPerChar(make(16 * 1024)), workPerChar(make(128 * 1024)));
  });

  it.each(Object.entries(afterHead))('%s: a bounded number of reads per char, at 16 KB, 128 KB and 1 MB', (_name, make) => {
    const [small, medium, large] = [16 * 1024, 2 * MAX_UNREAD, 16 * MAX_UNREAD].map((length) => workPerChar(make(length)));
    for (const cost of [small!, medium!, large!]) {
      expect(cost.whole).toBeLessThanOrEqual(6);
      expect(cost.stream).toBeLessThanOrEqual(6);
    }
    expect(large!.whole).toBeLessThanOrEqual(medium!.whole * 1.05 + 0.01);
    // A stream leaves up to MAX_UNREAD bytes at its end unread, a larger share of the smaller page: at
    // most twice the reads per char here, where work that grew with the page would be eight times.
    expect(large!.stream).toBeLessThanOrEqual(medium!.stream * 2 + 0.01);
  });
});
