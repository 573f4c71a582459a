// Where the script goes, the way a browser tokenizes the page: the same answer for a string, a Buffer and a stream.
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, type InjectOutcome } from '../../src/html/inject.js';
import { StreamingInjector } from '../../src/html/inject-stream.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const ID_LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/1.js"></script>';

/** Each case is a page with `@` where the script goes, in any body. A page without `@` is left as it is, with the outcome given. */
type Case = [name: string, page: string, outcome?: InjectOutcome];
const cases: Case[] = [
  ['the loader in <head>', `<head><title>t</title>@${ID_LOADER}</head><body></body>`],
  ['the loader at the end of <body>: before </head>, which comes first', `<head>@</head><body><p>x</p>${ID_LOADER}</body>`],
  ['the loader in <body> without </head>', `<head><title>t</title><body><p>x</p>@${ID_LOADER}</body>`],
  ['</head> in a comment', '<head><!-- </head> -->@</head><body></body>'],
  ['</head> in a bogus <! comment', '<head><!x </head>@</head>'],
  ['</head> in a bogus <? comment', '<head><?php echo "</head>" ?>@</head>'],
  ['</head> in a bogus </ comment', '<head></3 </head>@</head>'],
  ['an abrupt empty comment <!-->', '<head><!-->@</head>'],
  ['an abrupt empty comment <!--->', '<head><!--->@</head>'],
  ['a comment closed by --!>', '<head><!-- </head> --!>@</head>'],
  ['an unterminated comment', '<head><!-- </head></body>', 'no-insertion-point'],
  ['</head> in a script string', '<head><script>var s = "</head>";</script>@</head>'],
  ['</head> in an escaped script (<!-- ... -->)', '<head><script><!-- </head> --></script>@</head>'],
  ['</script> inside a double-escaped script', '<head><script><!--<script></head></script>--></script>@</head>'],
  ['</head> in <style>', '<head><style>/* </head> */</style>@</head>'],
  ['</head> in <title>', '<head><title></head ></title>@</head>'],
  ['</body> in <textarea>', '<body><textarea></body></textarea>@</body>'],
  ['</head> in <template>', '<head><template></head></template>@</head>'],
  ['</head> in nested <template>s', '<head><template><template></template></head></template>@</head>'],
  ['</body> in <xmp>', '<body><xmp></body></xmp>@</body>'],
  ['</body> in <iframe>', '<body><iframe></body></iframe>@</body>'],
  ['</body> in <noembed>', '<body><noembed></body></noembed>@</body>'],
  ['</body> in <noframes>', '<body><noframes></body></noframes>@</body>'],
  ['</head> in <noscript>', '<head><noscript><link></head></noscript>@</head>'],
  ['everything after <plaintext>', '<body><plaintext></body>', 'no-insertion-point'],
  ['</head> in a double-quoted attribute', '<head><meta content="</head>">@</head>'],
  ['</head> in a single-quoted attribute', "<head><meta content='</head>'>@</head>"],
  ['a > inside a quoted attribute', '<head><meta content="a>b </head>">@</head>'],
  ['the loader in an attribute', `<head><meta content='${ID_LOADER}'>@</head>`],
  ['the loader in an unquoted attribute', '<body><a title=<script id=hs-script-loader>x</a>@</body>'],
  ['the loader in a <textarea>', `<body><textarea>${ID_LOADER}</textarea>@</body>`],
  ['the loader in a <template>', `<body><template>${ID_LOADER}</template>@</body>`],
  [
    'a document.write loader in a script',
    `<head><script>if (ok) document.write('<script id="hs-script-loader" src="//js.hs-scripts.com/1.js"><\\/script>')</script>@</head>`,
  ],
  ['uppercase tags', `<HTML><HEAD><TITLE>t</TITLE>@<SCRIPT ID="hs-script-loader" SRC="//js.hs-scripts.com/1.js"></SCRIPT></HEAD>`],
  ['</HEAD> with spaces and a newline', '<head><title>t</title>@</HEAD \n>'],
  ['an end tag with an attribute', '<head>@</head class="x>y">'],
  ['no <head>', '<p>x</p>@</body>'],
  ['neither </head> nor </body>', '<p>fragment</p>', 'no-insertion-point'],
  ['an unfinished </head', '<head></head', 'no-insertion-point'],
  [
    'an XHTML page',
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title><meta charset="utf-8"/>@</head><body/></html>',
  ],
  ['a doctype ends at its first >, quoted or not', '<!DOCTYPE html SYSTEM "a>@</head>"><head></head>'],
  ['a BOM', '\uFEFF<!doctype html><html><head>@</head><body></body></html>'],
  ['the loader by src on js.hs-scripts.com', '<head>@<script src="https://js.hs-scripts.com/1.js"></script></head>'],
  ['the loader by src on js-eu1', '<head>@</head><body><script async src="//js-eu1.hs-scripts.com/1.js"></script></body>'],
  ['the loader by src on js-na2, unquoted', '<body>@<script src=http://js-na2.hs-scripts.com/1.js></script></body>'],
  ['the loader by src on js-ap1, uppercase host', "<body>@<script src='HTTPS://JS-AP1.HS-SCRIPTS.COM/1.js'></script></body>"],
  [
    'a lookalike host is not the loader',
    '<body><script src="//js.hs-scripts.com.evil.io/1.js"></script><script src="/js.hs-scripts.com/1.js"></script>@</body>',
  ],
  ['only the first of two id attributes counts', '<body><script id="x" id="hs-script-loader"></script>@</body>'],
  ['ids are case-sensitive', '<body><script id="HS-SCRIPT-LOADER"></script>@</body>'],
  ['our script in a comment: inject', `<head><!-- ${TAG} -->@</head>`],
  ['our script in a script string: inject', `<head><script>var t = '${TAG.replace('</', '<\\/')}';</script>@</head>`],
  ['our script in a template: inject', `<head><template>${TAG}</template>@</head>`],
  ['our script as an element: leave alone', `<head>${TAG}</head>`, 'present'],
  [
    'our script with uppercase and more attributes: leave alone',
    '<HEAD><SCRIPT nonce="n" DATA-HUBSPOT-IDENTIFY>x()</SCRIPT></HEAD>',
    'present',
  ],
];

function feed(chunks: Buffer[]): { out: string; outcome: InjectOutcome | undefined } {
  const injector = new StreamingInjector(TAG);
  const pieces = chunks.flatMap((chunk) => injector.push(chunk));
  pieces.push(...injector.end());
  return { out: Buffer.concat(pieces).toString('utf8'), outcome: injector.outcome };
}

const bytewise = (bytes: Buffer) => Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));

describe('placement', () => {
  it('has the cases the issue asks for', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  describe.each(cases)('%s', (_name, page, outcome = 'injected') => {
    const html = page.replace('@', '');
    const expected = page.replace('@', TAG);

    it('as a string', () => {
      expect(injectIntoHtml(html, TAG)).toEqual({ html: expected, outcome });
    });

    it('as a Buffer', () => {
      const { body, outcome: got } = injectIntoBytes(Buffer.from(html), TAG);
      expect(got).toBe(outcome);
      expect(Buffer.from(body).toString('utf8')).toBe(expected);
    });

    it('as a stream, in one chunk and byte by byte', () => {
      expect(feed([Buffer.from(html)])).toEqual({ out: expected, outcome });
      expect(feed(bytewise(Buffer.from(html)))).toEqual({ out: expected, outcome });
    });
  });
});

describe('a stream that already injected', () => {
  const later = `<head></head><body><p>x</p>${TAG}<p>y</p></body>`;

  it('drops a later copy of our script element, so the page carries it once', () => {
    expect(feed([Buffer.from(later)])).toEqual({ out: `<head>${TAG}</head><body><p>x</p><p>y</p></body>`, outcome: 'injected' });
    expect(feed(bytewise(Buffer.from(later))).out).toBe(`<head>${TAG}</head><body><p>x</p><p>y</p></body>`);
  });

  it('keeps our script where it is only text: in a comment', () => {
    const html = `<head></head><body><!-- ${TAG} --></body>`;
    expect(feed([Buffer.from(html)]).out).toBe(`<head>${TAG}</head><body><!-- ${TAG} --></body>`);
  });

  it('passes on a copy longer than the bound untouched rather than holding it', () => {
    const long = `<script data-hubspot-identify>${'x'.repeat(20_000)}</script>`;
    const html = `<head></head><body>${long}</body>`;
    expect(feed([Buffer.from(html)]).out).toBe(`<head>${TAG}</head><body>${long}</body>`);
    const injector = new StreamingInjector(TAG);
    injector.push(Buffer.from('<head></head><body><script data-hubspot-identify>'));
    const sent = injector.push(Buffer.alloc(17 * 1024, 'x'));
    expect(Buffer.concat(sent).length).toBeGreaterThan(17 * 1024);
  });
});
