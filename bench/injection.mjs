// Injection cost alone: pathological pages at 256 KB and 1 MB, and normal pages against plain concatenation.
// Run after `npm run build`: node bench/injection.mjs (BENCH_BUDGET_MS per case, 300 by default;
// BENCH_NORMAL_ONLY=1 skips the pathological pages).
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../dist/esm/src/html/inject.js';
import { StreamingInjector } from '../dist/esm/src/html/inject-stream.js';
import { scriptTag } from '../dist/esm/src/html/script.js';
import { pageOfSize } from './page.mjs';

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 300);
// The real script element, with a token of HubSpot's size (about 500 characters).
const TAG = scriptTag({ identificationEmail: 'ada@example.com', identificationToken: 'x'.repeat(500), loadImmediately: false });
const KB = 1024;
const CHUNK = 16 * KB;

/** ns per call of `fn`: after a warm-up call, the median of five rounds of about a fifth of the budget each. */
function time(fn) {
  let sink = fn();
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const started = performance.now();
    do {
      sink += fn();
      n++;
    } while (performance.now() - started < BUDGET_MS / 5);
    rounds.push(((performance.now() - started) * 1e6) / n);
  }
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return rounds.sort((a, b) => a - b)[2];
}

const fill = (unit, bytes) => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
const pathological = {
  'all <': (n) => fill('<', n),
  'unterminated comment': (n) => '<head><!--' + fill('x', n - 10),
  'unterminated attribute quote': (n) => '<head><p title="' + fill('x', n - 16),
  'text repeating hs-script-loader': (n) => '<head><p>' + fill('hs-script-loader ', n - 9),
  'near-miss <script id=hs-script-loade': (n) => fill('<script id=hs-script-loade', n),
  'near-miss </hea': (n) => fill('</hea', n),
  'near-miss </bod': (n) => fill('</bod', n),
  'script body of <!--<script>': (n) => '<head><script>' + fill('<!--<script>', n - 14),
  'tags with quoted attributes': (n) => fill('<a href="/x" class=\'y\' data-x=z>t</a>', n),
};

function stream(bytes) {
  const injector = new StreamingInjector(TAG);
  let length = 0;
  for (let at = 0; at < bytes.length; at += CHUNK) for (const piece of injector.push(bytes.subarray(at, at + CHUNK))) length += piece.length;
  for (const piece of injector.end()) length += piece.length;
  return length;
}

const fixed = (n, digits = 1) => n.toFixed(digits);
console.log('| page | size | string ms | string ns/byte | stream ms | stream ns/byte |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [kind, make] of process.env.BENCH_NORMAL_ONLY ? [] : Object.entries(pathological)) {
  for (const size of [256 * KB, 1024 * KB]) {
    const html = make(size);
    const bytes = Buffer.from(html, 'latin1');
    const string = time(() => injectIntoHtml(html, TAG).html.length);
    const streamed = time(() => stream(bytes));
    console.log(`| ${kind} | ${size / KB} KB | ${fixed(string / 1e6, 2)} | ${fixed(string / size, 2)} | ${fixed(streamed / 1e6, 2)} | ${fixed(streamed / size, 2)} |`);
  }
}

console.log('\n| normal page | string inject µs (scan + splice) | string inject + encode µs | string encoded once µs (injectEncoded) | Buffer inject µs | concatenation + encode µs | string + encode / concatenation | encoded once / concatenation |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [label, size] of [['2 KB', 2 * KB], ['16 KB', 16 * KB], ['100 KB', 100 * KB], ['1 MB', 1024 * KB]]) {
  const html = pageOfSize(size);
  const bytes = Buffer.from(html);
  const at = html.indexOf('<script type="text/javascript" id="hs-script-loader"');
  // Both string sides end as the bytes a server writes: V8 concatenates lazily, so a string alone would hide the copy.
  const splice = time(() => injectIntoHtml(html, TAG).html.length);
  const inject = time(() => Buffer.from(injectIntoHtml(html, TAG).html).length);
  const encodedOnce = time(() => injectIntoHtmlAsBytes(html, TAG).body.length);
  const injectBytes = time(() => injectIntoBytes(bytes, TAG).body.length);
  const concat = time(() => Buffer.from(html.slice(0, at) + TAG + html.slice(at)).length);
  console.log(`| ${label} | ${fixed(splice / 1000, 2)} | ${fixed(inject / 1000, 2)} | ${fixed(encodedOnce / 1000, 2)} | ${fixed(injectBytes / 1000, 2)} | ${fixed(concat / 1000, 2)} | ${fixed(inject / concat, 2)} | ${fixed(encodedOnce / concat, 2)} |`);
}
