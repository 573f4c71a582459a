// parse5 (the WHATWG parser) as the reference: on generated pages, injection adds exactly our element, in its place, and nothing else.
import fc from 'fast-check';
import { parse, serialize, type DefaultTreeAdapterMap } from 'parse5';
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';
import { StreamingInjector } from '../../src/html/inject-stream.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const TAG = '<script data-hubspot-identify>x()</script>';

/** Copies of our script a template may print after the insertion point: real elements, and the same text where it is not one. */
const COPIES = {
  real: [TAG, '<SCRIPT nonce="n" DATA-HUBSPOT-IDENTIFY>x()</SCRIPT>', '<script type="module" data-hubspot-identify="">x()</script>'],
  text: [
    `<!-- ${TAG} -->`,
    `<script>var t = '${TAG.replace('</', '<\\/')}';</script>`,
    `<div title='${TAG}'>d</div>`,
    `<textarea>${TAG}</textarea>`,
    `<template>${TAG}</template>`,
    `<title>${TAG}</title>`,
    '<p data-hubspot-identify>not a script</p>',
    '<style>/* data-hubspot-identify */</style>',
    '<script data-x="data-hubspot-identify">y()</script>',
  ],
};
const LOADER_SRC = /^(?:https?:)?\/\/js(?:-[a-z0-9]+)?\.hs-scripts\.com\//i;

const headItems = [
  '<title>T</title>',
  '<title></head></title>',
  '<style>/* </head> */ a{}</style>',
  '<script>var s = "</head>";</script>',
  '<script><!--<script></head></script>--></script>',
  '<script><!-- </head> --></script>',
  '<script>document.write(\'<script id="hs-script-loader" src="//js.hs-scripts.com/1.js"><\\/script>\')</script>',
  `<script>var ours = '${TAG.replace('</', '<\\/')}';</script>`,
  '<!-- </head> -->',
  '<!-- x --!>',
  '<!-->',
  '<!--->',
  `<!-- ${TAG} -->`,
  '<?pi </head>?>',
  '<meta content="</head>">',
  `<meta content='<script id="hs-script-loader"></script>'>`,
  '<meta name=a content=b>',
  '<link rel=stylesheet href="/a.css">',
  "<meta a = '</head>' / >",
  '<noscript></head></noscript>',
  '<template></head><script id="hs-script-loader"></script></template>',
  '<template><template></template></head></template>',
  `<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'nonce-abc'">`,
  '<META HTTP-EQUIV=content-security-policy CONTENT="default-src &#39;self&#39; &#x27;unsafe-inline&#x27; &amp; x">',
  '<meta content="img-src &quot;x&quot; &amp &ampx &amp= &lt;&gt;" http-equiv="Content-Security-Policy">',
  `<meta http-equiv="Content-Security-Policy-Report-Only" content="script-src 'none'">`,
  '<meta http-equiv="Content-Security-Policy" content="">',
  `<meta http-equiv="Content-Security-Policy" content="script-src 'none'" http-equiv="refresh">`,
  `<template><meta http-equiv="Content-Security-Policy" content="script-src 'none'"></template>`,
  `<!-- <meta http-equiv="Content-Security-Policy" content="script-src 'none'"> -->`,
  `<noscript><meta http-equiv="Content-Security-Policy" content="script-src 'none'"></noscript>`,
  '<script id="hs-script-loader" async src="//js.hs-scripts.com/1.js"></script>',
  '<SCRIPT SRC="https://js-eu1.hs-scripts.com/1.js"></SCRIPT>',
  TAG,
  '\n  ',
];

const bodyItems = [
  '<p>x</p>',
  'a < b &amp; 日本 🚀',
  '<textarea></body><script id="hs-script-loader"></script></textarea>',
  '<xmp></body></xmp>',
  '<iframe></body></iframe>',
  '<noembed></body></noembed>',
  '<noframes></body></noframes>',
  '<div title="</body>" data-x=\'<script id="hs-script-loader">\'>d</div>',
  '<a href=/x title=</body>>l</a>',
  // Attribute syntax an ordinary tag's fast path must read as the tokenizer does: a name that starts
  // with `=`, quotes inside names and unquoted values, spaces around `=`, `/` between attributes.
  '<br ="a><script id="hs-script-loader"></script>">',
  "<p a\"b='</body>'>t</p>",
  '<p a=b"c title="</body>">t</p>',
  '<p/title="</body>"/>t</p>',
  '<p a = "</body>" b = \'<script id="hs-script-loader">\' >t</p>',
  '<img src=x/ alt="</body>">',
  '<!-- </body> -->',
  `<!-- ${TAG} -->`,
  '<template><script id="hs-script-loader"></script></body></template>',
  '<script>if (a < b) document.write("</body>")</script>',
  '<script src=//js-na2.hs-scripts.com/1.js></script>',
  '<script id=hs-script-loader src="//js-ap1.hs-scripts.com/1.js"></script>',
  '<script src="//js.hs-scripts.com.evil.io/1.js"></script>',
  TAG,
  ...Object.values(COPIES).flat(),
  `<meta http-equiv="Content-Security-Policy" content="script-src 'none'">`,
];

const pages = fc
  .record({
    doctype: fc.constantFrom(
      '',
      '<!doctype html>',
      '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
    ),
    htmlOpen: fc.constantFrom('', '<html>', '<html lang="de">'),
    headOpen: fc.constantFrom('', '<head>', '<HEAD>'),
    head: fc.array(fc.constantFrom(...headItems), { maxLength: 6 }),
    headClose: fc.constantFrom('', '</head>', '</HEAD >', '</head\n>'),
    bodyOpen: fc.constantFrom('', '<body>', '<body class="a">'),
    body: fc.array(fc.constantFrom(...bodyItems), { maxLength: 6 }),
    bodyClose: fc.constantFrom('', '</body>', '</BODY>'),
    htmlClose: fc.constantFrom('', '</html>'),
  })
  .map(
    (p) => p.doctype + p.htmlOpen + p.headOpen + p.head.join('') + p.headClose + p.bodyOpen + p.body.join('') + p.bodyClose + p.htmlClose,
  );

/** Elements in document order, as a browser builds them; template contents are a separate fragment and left out. */
function elements(node: Node, out: Element[] = []): Element[] {
  for (const child of 'childNodes' in node ? node.childNodes : []) {
    if ('tagName' in child) out.push(child);
    elements(child, out);
  }
  return out;
}

const attr = (element: Element, name: string) => element.attrs.find((a) => a.name === name)?.value;
const isOurs = (element: Element) => element.tagName === 'script' && attr(element, 'data-hubspot-identify') !== undefined;
const isLoader = (element: Element) =>
  element.tagName === 'script' && (attr(element, 'id') === 'hs-script-loader' || LOADER_SRC.test(attr(element, 'src') ?? ''));

/** What the page becomes: our element found in it, and the DOM without it, serialized. */
function read(html: string) {
  const document = parse(html);
  const all = elements(document);
  const ours = all.filter(isOurs);
  const loaders = all.filter(isLoader);
  for (const element of ours) {
    const siblings = element.parentNode!.childNodes;
    siblings.splice(siblings.indexOf(element), 1);
  }
  return { all, ours, loaders, withoutOurs: serialize(document) };
}

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function streamed(html: string, cut: number): { out: string; injector: StreamingInjector } {
  const bytes = Buffer.from(html);
  const injector = new StreamingInjector(TAG);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += cut) pieces.push(...injector.push(bytes.subarray(at, at + cut)));
  pieces.push(...injector.end());
  return { out: utf8(Buffer.concat(pieces)), injector };
}

const stream = (html: string, cut: number) => streamed(html, cut).out;

const isPolicy = (element: Element) =>
  element.tagName === 'meta' &&
  attr(element, 'http-equiv')?.toLowerCase() === 'content-security-policy' &&
  Boolean(attr(element, 'content'));

describe('against parse5', () => {
  it('a whole page gains exactly our element, before the first loader, in head or body or right before a loader', () => {
    fc.assert(
      fc.property(pages, (html) => {
        const before = read(html);
        const { html: after, outcome } = injectIntoHtml(html, TAG);
        expect(utf8(injectIntoBytes(Buffer.from(html), TAG).body)).toBe(after);
        expect(utf8(injectIntoHtmlAsBytes(html, TAG).body)).toBe(after);
        if (before.ours.length > 0) {
          expect(outcome).toBe('present');
          expect(after).toBe(html);
          return;
        }
        if (before.loaders.length > 0) expect(outcome).toBe('injected');
        if (outcome !== 'injected') return;
        const result = read(after);
        expect(result.ours).toHaveLength(1);
        expect(result.withoutOurs).toBe(before.withoutOurs);
        const [element] = result.ours;
        const parent = element!.parentNode as Element;
        const next = parent.childNodes[parent.childNodes.indexOf(element!) + 1];
        const firstLoader = result.loaders[0];
        if (firstLoader) expect(result.all.indexOf(element!)).toBeLessThan(result.all.indexOf(firstLoader));
        if (next === undefined || !('tagName' in next) || !isLoader(next)) expect(['head', 'body']).toContain(parent.tagName);
      }),
      { numRuns: 300 },
    );
  });

  it('a streamed page carries our element exactly once, before any loader, whatever the chunk size', () => {
    fc.assert(
      fc.property(pages, fc.integer({ min: 1, max: 64 }), (html, cut) => {
        const out = stream(html, cut);
        expect(out).toBe(stream(html, html.length + 1));
        const before = read(html);
        const result = read(out);
        if (result.ours.length === 0) {
          expect(before.loaders).toHaveLength(0);
          expect(out).toBe(html);
          return;
        }
        // Our element before any place to inject: the page is left as it is.
        if (out === html && before.ours.length > 0) return;
        // Otherwise ours went in, and every copy the page printed later was dropped.
        expect(result.ours).toHaveLength(1);
        const [ours] = result.ours;
        const firstLoader = result.loaders[0];
        if (firstLoader) expect(result.all.indexOf(ours!)).toBeLessThan(result.all.indexOf(firstLoader));
        expect(result.withoutOurs).toBe(before.withoutOurs);
      }),
      { numRuns: 300 },
    );
  });

  it('a stream places the script where a whole body does, unless the page printed a copy after that place', () => {
    fc.assert(
      fc.property(pages, fc.integer({ min: 1, max: 64 }), (html, cut) => {
        const whole = injectIntoHtml(html, TAG);
        const { out, injector } = streamed(html, cut);
        if (whole.outcome === 'present') return;
        expect(out).toBe(whole.html);
        expect(injector.outcome).toBe(whole.outcome);
        expect(injector.metaPolicies).toEqual(whole.metaPolicies);
      }),
      { numRuns: 300 },
    );
  });

  it('reports the Content-Security-Policy of each <meta> before our element, its attribute decoded as a browser does', () => {
    fc.assert(
      fc.property(pages, (html) => {
        const { html: after, outcome, metaPolicies } = injectIntoHtml(html, TAG);
        expect(injectIntoBytes(Buffer.from(html), TAG).metaPolicies).toEqual(metaPolicies);
        if (outcome !== 'injected') return;
        const all = elements(parse(after));
        const expected = all
          .slice(0, all.findIndex(isOurs))
          .filter(isPolicy)
          .map((element) => attr(element, 'content'));
        expect(metaPolicies ?? []).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('copies of our script after the insertion point', () => {
  const copy = fc.oneof(
    fc.constantFrom(...COPIES.real).map((html) => ({ html, real: true })),
    fc.constantFrom(...COPIES.text).map((html) => ({ html, real: false })),
  );
  const afterPages = fc
    .record({
      // A head without a loader or our element of its own: the script goes before </head>.
      head: fc.array(
        fc.constantFrom(...headItems.filter((item) => item !== TAG && !/^<script id="hs-script-loader"|^<SCRIPT SRC/.test(item))),
        { maxLength: 4 },
      ),
      body: fc.array(fc.oneof(fc.constantFrom('<p>x</p>', 'a < b 日本 🚀', '<div class="a-b">'), copy), { maxLength: 8 }),
      copy,
    })
    .map(({ head, body, copy: last }) => {
      const items = [...body.map((item) => (typeof item === 'string' ? { html: item, real: false } : item)), last];
      return {
        html: `<!doctype html><html><head>${head.join('')}</head><body>${items.map((item) => item.html).join('')}</body></html>`,
        real: items.some((item) => item.real),
      };
    });

  it('a whole page that printed a real one is left alone; one that printed only text gets the script before </head>', () => {
    fc.assert(
      fc.property(afterPages, ({ html, real }) => {
        expect(read(html).ours.length > 0).toBe(real);
        const whole = injectIntoHtml(html, TAG);
        expect(utf8(injectIntoBytes(Buffer.from(html), TAG).body)).toBe(whole.html);
        if (real) expect(whole).toMatchObject({ html, outcome: 'present' });
        else expect(whole).toMatchObject({ html: html.replace('</head><body>', `${TAG}</head><body>`), outcome: 'injected' });
      }),
      { numRuns: 300 },
    );
  });

  it('a stream gets the script before </head> and drops every real copy, keeping the text ones, whatever the chunk size', () => {
    fc.assert(
      fc.property(afterPages, fc.integer({ min: 1, max: 80 }), ({ html }, cut) => {
        const before = read(html);
        const { out, injector } = streamed(html, cut);
        expect(injector.outcome).toBe('injected');
        const after = read(out);
        expect(after.ours).toHaveLength(1);
        expect(out.indexOf(`${TAG}</head><body>`)).toBe(html.indexOf('</head><body>'));
        expect(after.withoutOurs).toBe(before.withoutOurs);
      }),
      { numRuns: 300 },
    );
  });
});
