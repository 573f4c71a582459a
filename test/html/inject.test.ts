// The string and byte rewrite: where the script goes, and that it goes there once.
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, insertionIndex } from '../../src/html/inject.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const LOADER = '<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/123.js"></script>';

describe('injectIntoHtml', () => {
  it('goes right before the loader tag when the page has one', () => {
    const html = `<html><head><title>t</title></head><body><p>x</p>${LOADER}</body></html>`;
    const { html: out, outcome } = injectIntoHtml(html, TAG);
    expect(outcome).toBe('injected');
    expect(out).toBe(html.replace(LOADER, TAG + LOADER));
  });

  it.each([
    '<script id=hs-script-loader src="//js-eu1.hs-scripts.com/1.js"></script>',
    "<SCRIPT src='//js.hs-scripts.com/1.js' ID='hs-script-loader'></SCRIPT>",
    '<script\n  id="hs-script-loader"\n  src="//js-na1.hs-scripts.com/1.js"></script>',
  ])('finds the loader written as %j', (loader) => {
    const html = `<head></head><body>${loader}</body>`;
    expect(insertionIndex(html)).toBe(html.indexOf(loader));
  });

  it('goes before </head>, else </body>, in any case and spacing', () => {
    expect(injectIntoHtml('<head><title>t</title></HEAD ><body></body>', TAG).html).toBe(`<head><title>t</title>${TAG}</HEAD ><body></body>`);
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

  it('injects bytes without touching multi-byte characters', () => {
    const html = '<head><title>Grüße 🚀</title></head><body>日本</body>';
    const { body, outcome } = injectIntoBytes(Buffer.from(html), TAG);
    expect(outcome).toBe('injected');
    expect(body.toString('utf8')).toBe(injectIntoHtml(html, TAG).html);
  });
});
