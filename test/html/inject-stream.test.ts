// The streaming rewrite: every split position around the insertion point, multi-byte text, held-back tags.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { injectIntoHtml } from '../../src/html/inject.js';
import { MAX_UNREAD, StreamingInjector } from '../../src/html/inject-stream.js';
import { createInjectingStream } from '../../src/node/inject-stream.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/123.js"></script>';

function feed(chunks: Uint8Array[]): { out: Buffer; outcome: string | undefined } {
  const injector = new StreamingInjector(TAG);
  const pieces = chunks.flatMap((chunk) => injector.push(chunk));
  pieces.push(...injector.end());
  return { out: Buffer.concat(pieces), outcome: injector.outcome };
}

/** Every way of cutting `bytes` in two, and in three around `around`. */
function* splits(bytes: Buffer, around: number, radius: number): Generator<Buffer[]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
  const from = Math.max(0, around - radius);
  const to = Math.min(bytes.length, around + radius);
  for (let i = from; i <= to; i++) {
    for (let j = i; j <= to; j++) yield [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
  }
}

const pages = {
  'the loader tag in <head>': `<!doctype html><html><head><title>Grüße 🚀</title>${LOADER}</head><body>日本語</body></html>`,
  '</head> with multi-byte text around it': '<html><head><title>Ünïcödé ✓ 😀</title></head><body>ß 🚀</body></html>',
  'only </body>': '<p>Ça va? 🙂</p></body>',
};

describe('StreamingInjector', () => {
  for (const [name, html] of Object.entries(pages)) {
    it(`injects ${name} at every split position, the same as the string rewrite`, () => {
      const bytes = Buffer.from(html);
      const expected = Buffer.from(injectIntoHtml(html, TAG).html);
      const at = bytes.toString('latin1').search(/<script[^>]*hs-script-loader|<\/head|<\/body/i);
      let cases = 0;
      for (const chunks of splits(bytes, at, 24)) {
        const { out, outcome } = feed(chunks);
        expect(outcome).toBe('injected');
        expect(out.equals(expected), `split ${chunks.map((c) => c.length).join('+')}`).toBe(true);
        cases++;
      }
      expect(cases).toBeGreaterThan(bytes.length);
    });
  }

  // Each page with the text around which every three-chunk cut is tried.
  const tricky: Record<string, [string, string]> = {
    'comments, escaped script and raw text before </head>': [
      '<!doctype html><head><!-- a -- b --!><title>Grüße</title><script>if(a<b)document.write("<!--<script>x</script>--></head>")</script><style>p{}</style></head><body>日本</body>',
      '--></head>")</script>',
    ],
    'our own script later in <body>': [
      '<head></HEAD ><body>日本<script data-hubspot-identify nonce="n">y()</script><p>ok</p></body>',
      'y()</script>',
    ],
    'the loader by src with quoted > in attributes': [
      `<head><meta content="a>b"><script data-x='>' src="https://js-eu1.hs-scripts.com/1.js"></script></head>`,
      "'>' src",
    ],
  };
  for (const [name, [html, around]] of Object.entries(tricky)) {
    it(`gives the one-chunk result at every split position: ${name}`, () => {
      const bytes = Buffer.from(html);
      const whole = feed([bytes]);
      expect(whole.outcome).toBe('injected');
      const at = bytes.indexOf(around);
      expect(at).toBeGreaterThan(-1);
      for (const chunks of splits(bytes, at, 24)) {
        expect(feed(chunks).out.equals(whole.out), `split ${chunks.map((c) => c.length).join('+')}`).toBe(true);
      }
    });
  }

  it('goes before </head> when the loader only comes in <body>, since it then precedes the loader anyway', () => {
    const html = `<head></head><body>${LOADER}</body>`;
    expect(feed([Buffer.from(html)]).out.toString()).toBe(`<head>${TAG}</head><body>${LOADER}</body>`);
  });

  it('leaves a page that printed the script alone, wherever the chunks are cut', () => {
    const html = `<head>${TAG}</head><body></body>`;
    const bytes = Buffer.from(html);
    for (const chunks of splits(bytes, 6, 40)) {
      const { out, outcome } = feed(chunks);
      expect(outcome).toBe('present');
      expect(out.toString()).toBe(html);
    }
  });

  it('passes bytes on as they come, holding back only an unfinished tag', () => {
    const injector = new StreamingInjector(TAG);
    expect(Buffer.concat(injector.push(Buffer.from('<html><he'))).toString()).toBe('<html>');
    // Inside <title> `</ti` is text that can hold nothing we look for: it is not held.
    expect(Buffer.concat(injector.push(Buffer.from('ad><title>x</ti'))).toString()).toBe('<head><title>x</ti');
    expect(Buffer.concat(injector.push(Buffer.from('tle></he'))).toString()).toBe('tle>');
    expect(Buffer.concat(injector.push(Buffer.from('ad>rest<scr'))).toString()).toBe(`${TAG}</head>rest`);
    expect(Buffer.concat(injector.push(Buffer.from('ipt>x()</script>'))).toString()).toBe('<script>x()</script>');
  });

  it('says when there was nowhere to inject, and loses no byte', () => {
    const { out, outcome } = feed([Buffer.from('<p>frag'), Buffer.from('ment</p><unclosed')]);
    expect(outcome).toBe('no-insertion-point');
    expect(out.toString()).toBe('<p>fragment</p><unclosed');
  });

  it('has nothing to say about an empty body', () => {
    expect(feed([]).outcome).toBeUndefined();
    expect(feed([Buffer.alloc(0)]).outcome).toBeUndefined();
  });

  it('works as a Transform over a Readable with string chunks', async () => {
    const outcomes: string[] = [];
    const source = Readable.from(['<html><head>', '<title>x</title></he', 'ad><body>ok</body></html>']);
    const out = await text(source.pipe(createInjectingStream(TAG, (outcome) => outcomes.push(outcome))));
    expect(out).toBe(`<html><head><title>x</title>${TAG}</head><body>ok</body></html>`);
    expect(outcomes).toEqual(['injected']);
  });

  describe('after the insertion point', () => {
    const head = '<head><title>t</title></head><body>';
    const injected = (body: string) => `<head><title>t</title>${TAG}</head><body>${body}`;

    it('drops a real copy cut anywhere, its marker cut in two or its start in an earlier chunk', () => {
      const copy = '<script nonce="abc" data-hubspot-identify>x()</script>';
      const html = `${head}<p>é</p>${copy}<p>日本</p></body>`;
      const bytes = Buffer.from(html);
      for (const chunks of splits(bytes, bytes.indexOf('data-hubspot'), 40)) {
        expect(feed(chunks).out.toString(), `split ${chunks.map((c) => c.length).join('+')}`).toBe(injected('<p>é</p><p>日本</p></body>'));
      }
    });

    it.each([
      ['a comment', `<!-- ${TAG} -->`],
      ['a script string', `<script>var s = '<script data-hubspot-identify>';</script>`],
      ['an attribute value', `<div title="${TAG}">d</div>`],
      ['a textarea', `<textarea>${TAG}</textarea>`],
      ['a template', `<template>${TAG}</template>`],
    ])('keeps the same text in %s, cut anywhere', (_where, text) => {
      const html = `${head}${text}<p>x</p></body>`;
      const bytes = Buffer.from(html);
      for (const chunks of splits(bytes, bytes.indexOf('data-hubspot'), 30)) {
        expect(feed(chunks).out.toString(), `split ${chunks.map((c) => c.length).join('+')}`).toBe(injected(`${text}<p>x</p></body>`));
      }
    });

    it('holds back only what may be an unfinished <script start tag', () => {
      const injector = new StreamingInjector(TAG);
      const text = (pieces: Uint8Array[]) => Buffer.concat(pieces).toString();
      expect(text(injector.push(Buffer.from(`${head}<p cla`)))).toBe(`<head><title>t</title>${TAG}</head><body><p cla`);
      expect(text(injector.push(Buffer.from('ss="a">x</p><SCR')))).toBe('ss="a">x</p>');
      expect(text(injector.push(Buffer.from('IPT src="a>b" ')))).toBe('');
      // A `<` at the very end may be one too: read natively, a script body is text like any other.
      expect(text(injector.push(Buffer.from('async></script><script>if (a <')))).toBe('<SCRIPT src="a>b" async></script><script>if (a ');
      expect(text(injector.push(Buffer.from(' b) f()</script><p>')))).toBe('< b) f()</script><p>');
      expect(text(injector.end())).toBe('');
    });

    it(`drops a real copy past ${MAX_UNREAD} bytes after the head, and keeps every other byte`, () => {
      const filler = '<p class="a-b">Lorem ipsum — 日本</p>\n'.repeat(Math.ceil((3 * MAX_UNREAD) / 40));
      const html = `${head}${filler}${TAG}<p>end</p></body>`;
      const bytes = Buffer.from(html);
      for (const size of [1000, 4096, 65536]) {
        const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
        expect(feed(chunks).out.toString()).toBe(injected(`${filler}<p>end</p></body>`));
      }
    });

    it('keeps a copy whose start tag was already sent, holding a < in an attribute (the one case the native guess misses): the page runs it twice, to no effect', () => {
      const copy = '<script title="a<b" data-hubspot-identify>x()</script>';
      const html = `${head}${copy}</body>`;
      const cut = Buffer.byteLength(`${head}<script title="a<b" `);
      const bytes = Buffer.from(html);
      const { out, outcome } = feed([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(outcome).toBe('injected');
      expect(out.toString()).toBe(injected(`${copy}</body>`));
    });
  });
});
