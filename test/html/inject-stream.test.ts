// The streaming rewrite: every split position around the insertion point, multi-byte text, held-back tags.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { injectIntoHtml } from '../../src/html/inject.js';
import { createInjectingStream, StreamingInjector } from '../../src/html/inject-stream.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/123.js"></script>';

function feed(chunks: Buffer[]): { out: Buffer; outcome: string | undefined } {
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
    'our own script later in <body>': ['<head></HEAD ><body>日本<script data-hubspot-identify nonce="n">y()</script><p>ok</p></body>', 'y()</script>'],
    'the loader by src with quoted > in attributes': [`<head><meta content="a>b"><script data-x='>' src="https://js-eu1.hs-scripts.com/1.js"></script></head>`, "'>' src"],
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

  it('has nothing to say about an empty body (regression: HEAD responses were reported as pages without <head>)', () => {
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
});
