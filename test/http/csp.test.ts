// The CSP rules for the injected script: its hash goes only into the directive that governs script elements, per policy, and meta policies that would block it are recognised.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { headersOf } from '../helpers/headers.js';
import { addScriptHash, allowScriptByHash, metaPolicyBlocksScript, nonceFreeScriptText, scriptHashSource } from '../../src/http/csp.js';
import type { HeaderAccess } from '../../src/http/response-policy.js';

const SCRIPT = '(function(w){w.x=1})(window)';
const HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;
const OTHER = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

describe('scriptHashSource', () => {
  it("is the script text's sha256 in base64, quoted as a CSP source", () => {
    expect(scriptHashSource(SCRIPT)).toBe(HASH);
    expect(scriptHashSource('')).toBe(OTHER);
  });
});

describe('nonceFreeScriptText', () => {
  it('is the text between the tags without a nonce, undefined with one', () => {
    expect(nonceFreeScriptText(`<script data-hubspot-identify>${SCRIPT}</script>`)).toBe(SCRIPT);
    expect(nonceFreeScriptText(`<script data-hubspot-identify nonce="abc">${SCRIPT}</script>`)).toBeUndefined();
  });
});

describe('addScriptHash', () => {
  it.each([
    ['script-src with a hash', `script-src 'self' ${OTHER}`, `script-src 'self' ${OTHER} ${HASH}`],
    ['default-src standing for script-src', `default-src 'self' ${OTHER}; img-src *`, `default-src 'self' ${OTHER} ${HASH}; img-src *`],
    [
      'script-src-elem over script-src',
      `script-src ${OTHER}; script-src-elem ${OTHER}`,
      `script-src ${OTHER}; script-src-elem ${OTHER} ${HASH}`,
    ],
    [
      'script-src over default-src',
      `default-src ${OTHER}; script-src 'self' ${OTHER}`,
      `default-src ${OTHER}; script-src 'self' ${OTHER} ${HASH}`,
    ],
    ['a hash beside strict-dynamic', `script-src 'strict-dynamic' ${OTHER}`, `script-src 'strict-dynamic' ${OTHER} ${HASH}`],
    [
      "a hash beside 'unsafe-inline', which browsers already ignore",
      `script-src 'unsafe-inline' ${OTHER}`,
      `script-src 'unsafe-inline' ${OTHER} ${HASH}`,
    ],
    ['upper-case names and keywords, a trailing semicolon', `SCRIPT-SRC 'SELF' 'SHA256-abc=';`, `SCRIPT-SRC 'SELF' 'SHA256-abc=' ${HASH};`],
    [
      'tabs and newlines between sources',
      `img-src *;\tscript-src\t'self'\n${OTHER}  ; style-src 'self'`,
      `img-src *;\tscript-src\t'self'\n${OTHER} ${HASH}  ; style-src 'self'`,
    ],
  ])('adds the hash to %s', (_name, policy, expected) => {
    expect(addScriptHash(policy, HASH)).toBe(expected);
  });

  it("with script-src-elem allowing by hash, the hash goes there only: script-src keeps the 'unsafe-inline' the page's event handlers need", () => {
    const policy = `script-src-elem 'self' ${OTHER}; script-src 'self' 'unsafe-inline'`;
    expect(addScriptHash(policy, HASH)).toBe(`script-src-elem 'self' ${OTHER} ${HASH}; script-src 'self' 'unsafe-inline'`);
  });

  it.each([
    ['no hash source', "script-src 'self' 'unsafe-inline'"],
    ["'unsafe-inline' in script-src-elem, a hash in script-src", `script-src-elem 'unsafe-inline'; script-src ${OTHER}`],
    ['a nonce only', "script-src 'nonce-abc'"],
    ["'strict-dynamic' and a nonce only", "script-src 'strict-dynamic' 'nonce-abc'"],
    ['no script directive', "img-src 'self'"],
    ["'none' in the governing directive, beside a hash", `script-src 'none' ${OTHER}`],
    ["'none' in script-src-elem, a hash in script-src", `script-src-elem 'none'; script-src ${OTHER}`],
    ['an empty governing directive', `script-src-elem; script-src ${OTHER}`],
    ['a hash only in a repeated directive, which browsers ignore', `script-src 'self'; script-src ${OTHER}`],
    ['a hash only in script-src-attr', `script-src-attr ${OTHER}; script-src 'self'`],
    ['our hash already there', `script-src ${OTHER} ${HASH}`],
    ['our hash already there in base64url', `script-src ${HASH.replace(/\+/g, '-').replace(/\//g, '_')}`],
    ['an empty value', ''],
  ])('leaves a policy with %s as it is', (_name, policy) => {
    expect(addScriptHash(policy, HASH)).toBe(policy);
  });

  it("reads comma-joined policies one by one: the second one's 'none' is not taken for a source", () => {
    expect(addScriptHash(`script-src 'self' ${OTHER}, script-src 'none'`, HASH)).toBe(
      `script-src 'self' ${OTHER} ${HASH}, script-src 'none'`,
    );
    expect(addScriptHash(`script-src ${OTHER}, default-src ${OTHER}`, HASH)).toBe(
      `script-src ${OTHER} ${HASH}, default-src ${OTHER} ${HASH}`,
    );
    expect(addScriptHash(`img-src *,script-src ${OTHER}`, HASH)).toBe(`img-src *, script-src ${OTHER} ${HASH}`);
  });

  it('treats each policy on its own: a hash-only one gets the hash, an unsafe-inline one keeps its meaning', () => {
    const joined = `script-src 'unsafe-inline', script-src-elem ${OTHER}`;
    expect(addScriptHash(joined, HASH)).toBe(`script-src 'unsafe-inline', script-src-elem ${OTHER} ${HASH}`);
  });

  it('leaves comma-joined policies as they came when none allows by hash', () => {
    const joined = "script-src 'self',default-src 'none'";
    expect(addScriptHash(joined, HASH)).toBe(joined);
  });
});

describe('allowScriptByHash', () => {
  it('adds the hash to Content-Security-Policy and its report-only twin alike', () => {
    const policy = `script-src-elem ${OTHER}; script-src 'unsafe-inline'`;
    const headers = headersOf({ 'Content-Security-Policy': policy, 'Content-Security-Policy-Report-Only': policy });
    allowScriptByHash(headers, SCRIPT);
    const expected = `script-src-elem ${OTHER} ${HASH}; script-src 'unsafe-inline'`;
    expect(headers.all['content-security-policy']).toBe(expected);
    expect(headers.all['content-security-policy-report-only']).toBe(expected);
  });

  it('adds it to each policy of repeated headers that allows by hash, each header read as a comma list', () => {
    const headers = headersOf({
      'Content-Security-Policy': [`script-src ${OTHER}`, "img-src 'self'", `default-src 'self', script-src ${OTHER}`],
    });
    allowScriptByHash(headers, SCRIPT);
    expect(headers.all['content-security-policy']).toEqual([
      `script-src ${OTHER} ${HASH}`,
      "img-src 'self'",
      `default-src 'self', script-src ${OTHER} ${HASH}`,
    ]);
  });

  it('two headers on a web Response, joined by Headers.get with ", ", are two policies', () => {
    const response = new Response('', {
      headers: [
        ['Content-Security-Policy', `script-src ${OTHER}`],
        ['Content-Security-Policy', "script-src 'none'"],
      ],
    });
    const headers: HeaderAccess = {
      get: (name) => response.headers.get(name),
      set: (name, value) => response.headers.set(name, String(value)),
      remove: (name) => response.headers.delete(name),
    };
    allowScriptByHash(headers, SCRIPT);
    expect(response.headers.get('Content-Security-Policy')).toBe(`script-src ${OTHER} ${HASH}, script-src 'none'`);
  });

  it('sets nothing when no policy changes', () => {
    const headers = headersOf({ 'Content-Security-Policy': "script-src 'self' 'unsafe-inline'" });
    headers.set = () => {
      throw new Error('set called');
    };
    allowScriptByHash(headers, SCRIPT);
    expect(headers.all['content-security-policy']).toBe("script-src 'self' 'unsafe-inline'");
  });
});

describe('metaPolicyBlocksScript', () => {
  const bare = { hash: HASH };
  const withNonce = { nonce: 'r4nd0m', hash: HASH };

  it.each([
    ['no script directive', "img-src 'self'", bare],
    ["'unsafe-inline' alone", "script-src 'self' 'unsafe-inline'", bare],
    ["'unsafe-inline' in script-src-elem, whatever script-src says", "script-src-elem 'unsafe-inline'; script-src 'none'", bare],
    ['our hash', `script-src ${OTHER} ${HASH}`, bare],
    [
      'our hash in base64url, the algorithm upper-cased',
      `script-src ${HASH.replace('sha256', 'SHA256').replace(/\+/g, '-').replace(/\//g, '_')}`,
      bare,
    ],
    ['our nonce', "script-src 'nonce-r4nd0m' 'strict-dynamic'", withNonce],
    ['our hash with a nonce on the script too', `default-src ${HASH}`, withNonce],
    ["our hash beside 'none', which browsers then ignore", `script-src 'none' ${HASH}`, bare],
    ['default-src allowing inline scripts', "default-src * 'unsafe-inline'", bare],
  ])('allows the script under %s', (_name, policy, script) => {
    expect(metaPolicyBlocksScript(policy, script)).toBe(false);
  });

  it.each([
    ["'self' only", "script-src 'self'", bare],
    ["'none'", "default-src 'none'", bare],
    ['another hash', `script-src ${OTHER}`, bare],
    ["'unsafe-inline' made void by a hash", `script-src 'unsafe-inline' ${OTHER}`, bare],
    ["'unsafe-inline' made void by a nonce", "script-src 'unsafe-inline' 'nonce-other'", withNonce],
    ["'unsafe-inline' made void by 'strict-dynamic'", "script-src 'unsafe-inline' 'strict-dynamic'", bare],
    ['another nonce', "script-src 'nonce-other'", withNonce],
    ['a nonce when the script has none', "script-src 'nonce-r4nd0m'", bare],
    ['script-src-elem over an allowing script-src', "script-src-elem 'self'; script-src 'unsafe-inline'", bare],
    ['an empty script-src', 'script-src', bare],
  ])('is blocked by %s', (_name, policy, script) => {
    expect(metaPolicyBlocksScript(policy, script)).toBe(true);
  });

  it('blocks when any of comma-joined policies blocks', () => {
    expect(metaPolicyBlocksScript(`script-src ${HASH}, script-src 'self'`, bare)).toBe(true);
    expect(metaPolicyBlocksScript(`script-src ${HASH}, img-src 'self'`, bare)).toBe(false);
  });
});
