// The pages the benchmarks serve: a typical server-rendered page with HubSpot's loader, and a streamed one.
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/12345.js"></script>';
const paragraph = process.env.BENCH_ASCII
  ? '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, gruesse, nihon, rocket. Sed do eiusmod tempor.</p>\n'
  : '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit — grüße, 日本, 🚀. Sed do eiusmod tempor.</p>\n';

/** A page of about `bytes`, with head, body and the loader tag at the end of the body. */
export function pageOfSize(bytes) {
  const head =
    '<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><link rel="stylesheet" href="/app.css"></head><body><main>';
  const tail = `</main>${LOADER}</body></html>`;
  const count = Math.max(1, Math.round((bytes - head.length - tail.length) / Buffer.byteLength(paragraph)));
  return head + paragraph.repeat(count) + tail;
}

export const PAGE = pageOfSize(Number(process.env.BENCH_PAGE_BYTES ?? 16 * 1024));
export const STREAM_HEAD = '<!doctype html><html><head><meta charset="utf-8"><title>Streamed</title></head><body><h1>Shell</h1>';
export const STREAM_REST = `${paragraph.repeat(50)}${LOADER}</body></html>`;
export const STREAM_DELAY_MS = 100;
