// Injection cost alone: normal pages by size, pathological pages at 256 KB and 1 MB, and the byte paths with and without Node's Buffer.
// Run after `npm run build`: node bench/injection.mjs (BENCH_BUDGET_MS per case, 300 by default;
// BENCH_NORMAL_ONLY=1 skips the pathological pages; BENCH_BEFORE=<a build's dist directory> times that
// build beside this one, their rounds alternating, and prints both as before / after).
import { pageOfSize } from './page.mjs';

const load = async (dist) => ({
  ...(await import(`${dist}/esm/src/html/inject.js`)),
  ...(await import(`${dist}/esm/src/html/inject-stream.js`)),
  ...(await import(`${dist}/esm/src/html/scanner.js`)),
  ...(await import(`${dist}/esm/src/html/script.js`)),
  // Builds from before html/ ran without Buffer have no bytes.js.
  ...(await import(`${dist}/esm/src/html/bytes.js`).catch(() => ({}))),
});
const builds = [await load(new URL('../dist', import.meta.url).pathname)];
if (process.env.BENCH_BEFORE) builds.unshift(await load(process.env.BENCH_BEFORE));
const current = builds[builds.length - 1];

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 300);
const ROUNDS = 5;
// The real script element, with a token of HubSpot's size (about 500 characters).
const TAG = current.scriptTag({ identificationEmail: 'ada@example.com', identificationToken: 'x'.repeat(500), loadImmediately: false });
const KB = 1024;
const CHUNK = 16 * KB;

/** CPU µs this process has used, all threads: steadier than the clock on a machine others share. */
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** How many calls of `fn` take about a millisecond, after warming it up: the clock is read once per such batch. */
function calibrate(fn) {
  let batch = 1;
  for (let started = cpu(); cpu() - started < 1000; batch *= 2) for (let i = 0; i < batch; i++) fn();
  return batch;
}

/**
 * ns of CPU per call of each of `fns`: the median of ROUNDS rounds of about BUDGET_MS / ROUNDS each,
 * the rounds of the functions alternating, so a busy spell on a shared machine falls on all of them.
 */
function time(...fns) {
  const batches = fns.map(calibrate);
  const rounds = fns.map(() => []);
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, k) => {
      let n = 0;
      const started = cpu();
      do {
        for (let i = 0; i < batches[k]; i++) sink += fn();
        n += batches[k];
      } while (cpu() - started < (BUDGET_MS * 1000) / ROUNDS);
      rounds[k].push(((cpu() - started) * 1000) / n);
    });
  }
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return rounds.map((times) => times.sort((a, b) => a - b)[ROUNDS >> 1]);
}

/** Each build's `make(build)` timed side by side, as "before / after" when there are two. */
const both = (make, format) =>
  time(...builds.map(make))
    .map(format)
    .join(' / ');

/** Runs `fn` with no global Buffer, as on a runtime without Node's (html/ looks for one per call). */
function withoutBuffer(fn) {
  const saved = globalThis.Buffer;
  delete globalThis.Buffer;
  try {
    return fn();
  } finally {
    globalThis.Buffer = saved;
  }
}

/** Chars the scanner reads for one call of `fn`, where the build counts them. */
function charsRead(build, fn) {
  if (build.HtmlScanner.charsRead === undefined) return '-';
  const before = build.HtmlScanner.charsRead;
  fn();
  return String(build.HtmlScanner.charsRead - before);
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
  'after </head>: script body repeating our marker': (n) => '<head></head><body><script>' + fill('data-hubspot-identify ', n - 27),
  'after </head>: comments holding our script': (n) => '<head></head><body>' + fill(`<!-- ${TAG} -->`, n - 19),
  'after </head>: our script repeated': (n) => '<head></head><body>' + fill(TAG, n - 19),
};

function stream(build, bytes) {
  const injector = new build.StreamingInjector(TAG);
  let length = 0;
  for (let at = 0; at < bytes.length; at += CHUNK)
    for (const piece of injector.push(bytes.subarray(at, at + CHUNK))) length += piece.length;
  for (const piece of injector.end()) length += piece.length;
  return length;
}

const fixed = (n, digits = 1) => n.toFixed(digits);
const µs = (ns) => fixed(ns / 1000, 2);
const sides = builds.length > 1 ? ' (before / after)' : '';

console.log(
  `Normal pages (the loader at the end of the body), µs per page${sides}: each way a body comes, and a plain concatenation at a known index encoded to bytes.`,
);
console.log('| page | chars the scanner reads | string | string encoded once | bytes | stream (16 KB chunks) | concatenation + encode |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const sizes = [
  ['2 KB', 2 * KB],
  ['16 KB', 16 * KB],
  ['100 KB', 100 * KB],
  ['1 MB', 1024 * KB],
];
for (const [label, size] of sizes) {
  const html = pageOfSize(size);
  const bytes = Buffer.from(html);
  const at = html.indexOf('<script type="text/javascript" id="hs-script-loader"');
  const read = builds.map((build) => charsRead(build, () => build.injectIntoHtml(html, TAG))).join(' / ');
  const cells = [
    both((build) => () => build.injectIntoHtml(html, TAG).html.length, µs),
    both((build) => () => build.injectIntoHtmlAsBytes(html, TAG).body.length, µs),
    both((build) => () => build.injectIntoBytes(bytes, TAG).body.length, µs),
    both((build) => () => stream(build, bytes), µs),
    // V8 concatenates lazily, so a string alone would hide the copy: the baseline ends as the bytes a server writes.
    µs(time(() => Buffer.from(html.slice(0, at) + TAG + html.slice(at)).length)[0]),
  ];
  console.log(`| ${label} | ${read} of ${html.length} | ${cells.join(' | ')} |`);
}

// After the normal pages: a megabyte of pathological page leaves a heap that slows what is timed after it.
if (!process.env.BENCH_NORMAL_ONLY) {
  console.log(`\nPathological pages, ns per byte${sides}: linear when it stays flat from 256 KB to 1 MB.`);
  console.log('| page | size | string | bytes | stream (16 KB chunks) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [kind, make] of Object.entries(pathological)) {
    for (const size of [256 * KB, 1024 * KB]) {
      const html = make(size);
      const bytes = Buffer.from(html, 'latin1');
      const perByte = (ns) => fixed(ns / size, 2);
      const cells = [
        both((build) => () => build.injectIntoHtml(html, TAG).html.length, perByte),
        both((build) => () => build.injectIntoBytes(bytes, TAG).body.length, perByte),
        both((build) => () => stream(build, bytes), perByte),
      ];
      console.log(`| ${kind} | ${size / KB} KB | ${cells.join(' | ')} |`);
    }
  }
}

// Last, the byte paths as a runtime without Buffer runs them, and the Buffer-based ways weighed for each
// step: taking the global Buffer away and back deoptimised what read it, and slowed all timed after.
const latin1Decoder = new TextDecoder('latin1');
/** The Buffer way to encode a page with the tag spliced in: measure it, then write the three parts. */
function encodeWithBuffer(html, index, tag) {
  const body = Buffer.allocUnsafe(Buffer.byteLength(html) + Buffer.byteLength(tag));
  let written = body.write(html.slice(0, index), 0);
  written += body.write(tag, written);
  body.write(html.slice(index), written);
  return body.length;
}

if (current.encodeSpliced) {
  console.log(
    '\nThis build with and without a global Buffer (Workers without nodejs_compat, the Edge runtime), µs per page; then the ways weighed for each step.',
  );
  console.log(
    '| page | bytes: Buffer / none | encoded once: Buffer / none | stream: Buffer / none | latin1 view of the whole page: Buffer / TextDecoder | marker search: latin1 + RegExp / Horspool | UTF-8 into one array: Buffer.byteLength + write / encodeInto |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, size] of sizes) {
    const html = pageOfSize(size);
    const bytes = Buffer.from(html);
    const index = html.indexOf('</head>');
    // Buffer is taken away for all the rounds of one side: deleting a global per call would time that instead.
    const pair = (fn) => [time(fn)[0], withoutBuffer(() => time(fn)[0])].map(µs).join(' / ');
    const cells = [
      pair(() => current.injectIntoBytes(bytes, TAG).body.length),
      pair(() => current.injectIntoHtmlAsBytes(html, TAG).body.length),
      pair(() => stream(current, bytes)),
      time(
        () => bytes.toString('latin1').length,
        () => latin1Decoder.decode(bytes).length,
      )
        .map(µs)
        .join(' / '),
      pair(() => new current.Latin1Reader(bytes).findMarker(index)),
      time(
        () => encodeWithBuffer(html, index, TAG),
        () => current.encodeSpliced(html, index, TAG).length,
      )
        .map(µs)
        .join(' / '),
    ];
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}
