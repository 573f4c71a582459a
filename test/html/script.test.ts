// The inline script: serialization that no value can escape, run in a VM as a browser would.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scriptBody, scriptTag, serializeForScript, type WidgetSettings } from '../../src/html/script.js';

const settings = (email: string, extra: Partial<WidgetSettings> = {}): WidgetSettings => ({
  identificationEmail: email,
  identificationToken: 'tok-1',
  loadImmediately: false,
  ...extra,
});

/** Runs the script body as a browser would, in a window-like sandbox. */
function run(body: string, window: Record<string, unknown> = {}) {
  runInNewContext(body, { window });
  return window;
}

describe('serializeForScript', () => {
  it.each(['<', '>', '&', '\u2028', '\u2029'])('escapes %j so it cannot leave the script', (char) => {
    const out = serializeForScript({ value: `a${char}b` });
    expect(out).not.toContain(char);
    expect(JSON.parse(out)).toEqual({ value: `a${char}b` });
  });

  it('keeps hostile strings intact while making them inert', () => {
    const hostile = '"</script><script>window.pwned=1</script>"@x.io';
    const out = serializeForScript(hostile);
    expect(out).not.toMatch(/<\/script/i);
    expect(JSON.parse(out)).toBe(hostile);
  });
});

describe('scriptTag', () => {
  it('sets the settings and queues widget.load() when loadImmediately is false', () => {
    const window = run(scriptBody(settings('ada@example.com')));
    expect(window['hsConversationsSettings']).toEqual(settings('ada@example.com'));
    const ready = window['hsConversationsOnReady'] as Array<() => void>;
    expect(ready).toHaveLength(1);
    let loads = 0;
    window['HubSpotConversations'] = { widget: { load: () => loads++, status: () => ({ loaded: false }) } };
    ready[0]!();
    expect(loads).toBe(1);
  });

  it('does not load a widget that is already loaded', () => {
    const window = run(scriptBody(settings('ada@example.com')));
    let loads = 0;
    window['HubSpotConversations'] = { widget: { load: () => loads++, status: () => ({ loaded: true }) } };
    (window['hsConversationsOnReady'] as Array<() => void>)[0]!();
    expect(loads).toBe(0);
  });

  it('merges into settings and ready callbacks the page set itself', () => {
    const own = () => undefined;
    const window = run(scriptBody(settings('ada@example.com')), {
      hsConversationsSettings: { inlineEmbedSelector: '#chat', identificationEmail: 'old@x.io' },
      hsConversationsOnReady: [own],
    });
    expect(window['hsConversationsSettings']).toEqual({ inlineEmbedSelector: '#chat', ...settings('ada@example.com') });
    expect((window['hsConversationsOnReady'] as unknown[])[0]).toBe(own);
    expect(window['hsConversationsOnReady']).toHaveLength(2);
  });

  it('leaves loading to the loader when loadImmediately is true', () => {
    const window = run(scriptBody(settings('ada@example.com', { loadImmediately: true })));
    expect(window['hsConversationsSettings']).toMatchObject({ loadImmediately: true });
    expect(window['hsConversationsOnReady']).toBeUndefined();
  });

  it('carries the nonce, escaped as an attribute', () => {
    expect(scriptTag(settings('a@b.c'), 'abc123')).toMatch(/^<script data-hubspot-identify nonce="abc123">/);
    expect(scriptTag(settings('a@b.c'), '"><img>')).toContain('nonce="&quot;&gt;&lt;img&gt;"');
    expect(scriptTag(settings('a@b.c'))).toMatch(/^<script data-hubspot-identify>/);
  });

  it.each([
    '"</script><script>window.pwned=1</script>"@x.io',
    '"<!--<script>"@x.io',
    '"\u2028alert(1)\u2029"@x.io',
    "\"'};window.pwned=1;//\"@x.io",
  ])('a hostile email %j runs nothing and arrives intact', (email) => {
    const tag = scriptTag(settings(email));
    expect(tag.indexOf('</script>')).toBe(tag.length - '</script>'.length);
    expect(tag.slice(0, -9)).not.toMatch(/<!--|<script(?! data-hubspot-identify)/i);
    const window = run(tag.replace(/^<script[^>]*>/, '').replace(/<\/script>$/, ''));
    expect(window['pwned']).toBeUndefined();
    expect((window['hsConversationsSettings'] as WidgetSettings).identificationEmail).toBe(email);
  });
});
