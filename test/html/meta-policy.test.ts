// <meta http-equiv="Content-Security-Policy"> before the insertion point is reported, its value as a browser reads it, in every body.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { injectIntoBytes, injectIntoHtml, injectIntoHtmlAsBytes } from '../../src/html/inject.js';
import { StreamingInjector } from '../../src/html/inject-stream.js';
import { decodeCharacterReferences, MAX_POLICY } from '../../src/html/scanner.js';
import { createInjectingStream } from '../../src/node/inject-stream.js';

const TAG = '<script data-hubspot-identify>x()</script>';
const meta = (policy: string) => `<meta http-equiv="Content-Security-Policy" content="${policy}">`;

/** The policies each kind of body reports for `html`, which must agree. */
function policies(html: string): string[] | undefined {
  const whole = injectIntoHtml(html, TAG).metaPolicies;
  expect(injectIntoHtmlAsBytes(html, TAG).metaPolicies).toEqual(whole);
  expect(injectIntoBytes(Buffer.from(html), TAG).metaPolicies).toEqual(whole);
  const bytes = Buffer.from(html);
  for (const size of [1, 5, bytes.length]) {
    const injector = new StreamingInjector(TAG);
    for (let at = 0; at < bytes.length; at += size) injector.push(bytes.subarray(at, at + size));
    injector.end();
    expect(injector.metaPolicies, `chunks of ${size}`).toEqual(whole);
  }
  return whole;
}

describe('meta policies', () => {
  it('reports each policy before the insertion point, in order, and none after it', () => {
    const html = `<head>${meta("default-src 'self'")}<title>t</title>${meta("script-src 'nonce-a'")}</head><body>${meta("script-src 'none'")}</body>`;
    expect(policies(html)).toEqual(["default-src 'self'", "script-src 'nonce-a'"]);
  });

  it('has no metaPolicies when there is none', () => {
    expect(injectIntoHtml('<head><meta charset="utf-8"></head>', TAG)).toEqual({
      html: `<head><meta charset="utf-8">${TAG}</head>`,
      outcome: 'injected',
    });
    expect(policies('<head><meta name="x" content="y"></head>')).toBeUndefined();
  });

  it.each([
    ['any case of name and value, unquoted', '<META HTTP-EQUIV=CONTENT-SECURITY-POLICY CONTENT=script-src>', ['script-src']],
    ['single quotes, content first', `<meta content='img-src "x"' http-equiv='content-security-policy'>`, ['img-src "x"']],
    ['the first of two http-equiv', `<meta http-equiv="Content-Security-Policy" http-equiv="refresh" content="a">`, ['a']],
    ['Report-Only, which a meta cannot set', `<meta http-equiv="Content-Security-Policy-Report-Only" content="a">`, undefined],
    ['an empty content', '<meta http-equiv="Content-Security-Policy" content="">', undefined],
    ['no content', '<meta http-equiv="Content-Security-Policy">', undefined],
    ['in a comment', `<!-- ${meta('a')} -->`, undefined],
    ['in a template', `<template>${meta('a')}</template>`, undefined],
    ['in noscript, text to a browser that runs scripts', `<noscript>${meta('a')}</noscript>`, undefined],
    ['in a script string', `<script>document.write('${meta('a')}')</script>`, undefined],
  ])('%s', (_name, tag, expected) => {
    expect(policies(`<head>${tag}</head><body></body>`)).toEqual(expected);
  });

  it('decodes character references as a browser does in an attribute value', () => {
    const html = `<head>${meta('script-src &#39;self&#39; &#x27;nonce-a&#X27; &apos;sha256-x&apos; &quot;q&quot; a&amp;b &amp c &ampd &amp=e &lt;&gt; &nbsp;')}</head>`;
    expect(policies(html)).toEqual(["script-src 'self' 'nonce-a' 'sha256-x' \"q\" a&b & c &ampd &amp=e <> \u00a0"]);
  });

  it.each([
    ['&#0;', '\ufffd'],
    ['&#x110000;', '\ufffd'],
    ['&#xd800;', '\ufffd'],
    ['&#128;', '\u20ac'],
    ['&#x9f;', '\u0178'],
    ['&#x1F680;', '🚀'],
    ['&#', '&#'],
    ['&#x;', '&#x;'],
    ['&apos', '&apos'],
    ['&unknown;', '&unknown;'],
    ['&AMP;&LT;&GT;&QUOT;', '&<>"'],
  ])('decodes %j as %j', (value, decoded) => {
    expect(decodeCharacterReferences(value)).toBe(decoded);
  });

  it(`does not report a policy longer than ${MAX_POLICY} chars (a stream keeps no more of one value)`, () => {
    expect(policies(`<head>${meta(`img-src ${'x'.repeat(MAX_POLICY)}`)}</head>`)).toBeUndefined();
    expect(policies(`<head>${meta(`img-src ${'x'.repeat(MAX_POLICY - 8)}`)}</head>`)).toEqual([`img-src ${'x'.repeat(MAX_POLICY - 8)}`]);
  });

  it('reports the policies before a copy the page printed itself; none for a page with nowhere to inject', () => {
    expect(injectIntoHtml(`<head>${meta('a')}${TAG}${meta('b')}</head>`, TAG)).toMatchObject({ outcome: 'present', metaPolicies: ['a'] });
    expect(injectIntoHtml(`${meta('a')}<p>fragment</p>`, TAG)).toEqual({
      html: `${meta('a')}<p>fragment</p>`,
      outcome: 'no-insertion-point',
    });
  });

  it('comes with the outcome of a Node stream', async () => {
    const reports: unknown[][] = [];
    const source = Readable.from([`<head>${meta('a')}`, '</head><body></body>']);
    await text(source.pipe(createInjectingStream(TAG, (...args) => reports.push(args))));
    expect(reports).toEqual([['injected', ['a']]]);
  });
});
