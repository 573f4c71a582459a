// The string and byte rewrite: where the script goes, and that it goes there once.
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

const TAG = '<script data-hubspot-identify>x()</script>';
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/123.js"></script>';

describe('injectIntoHtml', () => {
  it('goes right before the loader tag when it comes before </head>', () => {
    const html = `<html><head><title>t</title>${LOADER}<meta name=x></head><body><p>x</p></body></html>`;
    const { html: out, outcome } = injectIntoHtml(html, TAG);
    expect(outcome).toBe('injected');
    expect(out).toBe(html.replace(LOADER, TAG + LOADER));
  });

  it('goes before </head> when the loader comes later, as a stream would place it (it still runs before the loader)', () => {
    const html = `<html><head><title>t</title></head><body><p>x</p>${LOADER}</body></html>`;
    expect(injectIntoHtml(html, TAG)).toEqual({ html: html.replace('</head>', `${TAG}</head>`), outcome: 'injected' });
  });

  it.each([
    '<script id=hs-script-loader src="//js-eu1.hs-scripts.com/1.js"></script>',
    "<SCRIPT src='//js.hs-scripts.com/1.js' ID='hs-script-loader'></SCRIPT>",
    '<script\n  id="hs-script-loader"\n  src="//js-na1.hs-scripts.com/1.js"></script>',
  ])('finds the loader written as %j', (loader) => {
    const html = `<head><title>t</title>${loader}</head><body></body>`;
    expect(injectIntoHtml(html, TAG).html).toBe(html.replace(loader, TAG + loader));
  });

  it('goes before </head>, else </body>, in any case and spacing', () => {
    expect(injectIntoHtml('<head><title>t</title></HEAD ><body></body>', TAG).html).toBe(
      `<head><title>t</title>${TAG}</HEAD ><body></body>`,
    );
    expect(injectIntoHtml('<p>x</p></Body>', TAG).html).toBe(`<p>x</p>${TAG}</Body>`);
  });

  it('changes nothing, and says so, when there is nowhere to go', () => {
    expect(injectIntoHtml('<p>fragment</p>', TAG)).toEqual({ html: '<p>fragment</p>', outcome: 'no-insertion-point' });
  });

  it('never injects twice: a page that printed the script tag is left as is', () => {
    const printed = `<head>${TAG}</head>`;
    expect(injectIntoHtml(printed, TAG)).toEqual({ html: printed, outcome: 'present' });
    const once = injectIntoHtml('<head></head>', TAG).html;
    expect(injectIntoHtml(once, TAG).html).toBe(once);
  });

  it('leaves a page alone whose template printed the script in its body, and injects into one that only mentions it there', () => {
    const printed = `<head></head><body><p>日本</p>${TAG}</body>`;
    expect(injectIntoHtml(printed, TAG)).toEqual({ html: printed, outcome: 'present' });
    expect(injectIntoBytes(Buffer.from(printed), TAG).outcome).toBe('present');
    const mentioned = `<head></head><body><!-- ${TAG} --><pre title="${TAG}"></pre></body>`;
    expect(injectIntoHtml(mentioned, TAG)).toEqual({ html: mentioned.replace('</head>', `${TAG}</head>`), outcome: 'injected' });
    expect(utf8(injectIntoBytes(Buffer.from(mentioned), TAG).body)).toBe(mentioned.replace('</head>', `${TAG}</head>`));
  });

  it('injects bytes without touching multi-byte characters', () => {
    const html = '<head><title>Grüße 🚀</title></head><body>日本</body>';
    const { body, outcome } = injectIntoBytes(Buffer.from(html), TAG);
    expect(outcome).toBe('injected');
    expect(utf8(body)).toBe(injectIntoHtml(html, TAG).html);
  });

  it.each([
    ['multi-byte text before and after the place', '<head><title>Grüße 🚀</title></head><body>日本 — 🚀</body>'],
    ['the loader after astral characters', `<head></head><body>🚀🚀${LOADER}🚀</body>`],
    ['a lone surrogate in the text', '<head>\ud83d</head><body>\ude80</body>'],
    ['nowhere to go', '<p>Grüße</p>'],
    ['the script already there', `<head>${TAG}</head><body>日本</body>`],
  ])('encodes a string page once into the bytes encoding the spliced string would give: %s', (_label, html) => {
    const { body, outcome } = injectIntoHtmlAsBytes(html, TAG);
    const spliced = injectIntoHtml(html, TAG);
    expect(outcome).toBe(spliced.outcome);
    expect(Buffer.from(body).equals(Buffer.from(spliced.html, 'utf8'))).toBe(true);
  });

  it('encodes a multi-byte tag (a nonce) as UTF-8 too', () => {
    const tag = '<script data-hubspot-identify nonce="ü">x()</script>';
    expect(utf8(injectIntoHtmlAsBytes('<head></head>', tag).body)).toBe(`<head>${tag}</head>`);
  });
});
