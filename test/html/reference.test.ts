// parse5 (the WHATWG parser) as the reference: on generated pages, injection adds exactly our element, in its place, and nothing else.
import fc from 'fast-check';
import { parse, serialize, type DefaultTreeAdapterMap } from 'parse5';
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';
import { StreamingInjector } from '../../src/html/inject-stream.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const TAG = '<script data-hubspot-identify>x()</script>';
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
  '<meta a = \'</head>\' / >',
  '<noscript></head></noscript>',
  '<template></head><script id="hs-script-loader"></script></template>',
  '<template><template></template></head></template>',
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
  '<p a"b=\'</body>\'>t</p>',
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
];

const pages = fc
  .record({
    doctype: fc.constantFrom('', '<!doctype html>', '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'),
    htmlOpen: fc.constantFrom('', '<html>', '<html lang="de">'),
    headOpen: fc.constantFrom('', '<head>', '<HEAD>'),
    head: fc.array(fc.constantFrom(...headItems), { maxLength: 6 }),
    headClose: fc.constantFrom('', '</head>', '</HEAD >', '</head\n>'),
    bodyOpen: fc.constantFrom('', '<body>', '<body class="a">'),
    body: fc.array(fc.constantFrom(...bodyItems), { maxLength: 6 }),
    bodyClose: fc.constantFrom('', '</body>', '</BODY>'),
    htmlClose: fc.constantFrom('', '</html>'),
  })
  .map((p) => p.doctype + p.htmlOpen + p.headOpen + p.head.join('') + p.headClose + p.bodyOpen + p.body.join('') + p.bodyClose + p.htmlClose);

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
const isLoader = (element: Element) => element.tagName === 'script' && (attr(element, 'id') === 'hs-script-loader' || LOADER_SRC.test(attr(element, 'src') ?? ''));

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

function stream(html: string, cut: number): string {
  const bytes = Buffer.from(html);
  const injector = new StreamingInjector(TAG);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += cut) pieces.push(...injector.push(bytes.subarray(at, at + cut)));
  pieces.push(...injector.end());
  return Buffer.concat(pieces).toString('utf8');
}

describe('against parse5', () => {
  it('a whole page gains exactly our element, before the loader, else in head or body', () => {
    fc.assert(
      fc.property(pages, (html) => {
        const before = read(html);
        const { html: after, outcome } = injectIntoHtml(html, TAG);
        expect(injectIntoBytes(Buffer.from(html), TAG).body.toString('utf8')).toBe(after);
        expect(injectIntoHtmlAsBytes(html, TAG).body.toString('utf8')).toBe(after);
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
        const ours = parse(after);
        const element = elements(ours).find(isOurs)!;
        const parent = element.parentNode as Element;
        if (before.loaders.length > 0) {
          const next = parent.childNodes[parent.childNodes.indexOf(element) + 1] as Element;
          expect(isLoader(next)).toBe(true);
          expect(elements(ours).find(isLoader)).toBe(next);
        } else {
          expect(['head', 'body']).toContain(parent.tagName);
        }
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
});
