// The inline script: pure-ASCII serialization no value can escape, and the widget calls it makes in each SDK order, run in a VM.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { resetScriptBody, resetScriptTag, scriptBody, scriptTag, serializeForScript, type WidgetSettings } from '../../src/html/script.js';

const settings = (email: string, extra: Partial<WidgetSettings> = {}): WidgetSettings => ({
  identificationEmail: email,
  identificationToken: 'tok-1',
  loadImmediately: false,
  ...extra,
});

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** A stand-in for HubSpot's SDK object that records every call. */
function sdk(loaded: boolean) {
  const calls: string[] = [];
  const api = {
    widget: {
      load: () => {
        calls.push('load');
        loaded = true;
      },
      remove: () => {
        calls.push('remove');
        loaded = false;
      },
      status: () => ({ loaded }),
    },
    clear: (options: unknown) => calls.push(`clear ${JSON.stringify(options)}`),
  };
  return { api, calls };
}

/** Runs a script body as a browser would, in a window-like sandbox. */
function run(body: string, window: Record<string, unknown> = {}) {
  runInNewContext(body, { window });
  return window;
}

/** What the SDK does at initialisation: call the ready functions once. */
function initialise(window: Record<string, unknown>, api: unknown) {
  window['HubSpotConversations'] = api;
  for (const f of (window['hsConversationsOnReady'] as Array<() => void> | undefined) ?? []) f();
}

const HOSTILE = [
  '"</script><script>window.pwned=1</script>"@x.io',
  '"<!--<script>"@x.io',
  '"\u2028alert(1)\u2029"@x.io',
  '"\'};window.pwned=1;//"@x.io',
  '\u00c1"}})-(window.pwned=1)//@x.io',
  'jos\u00e9@x.io',
  '\ud83d\ude80@x.io',
  'lone\ud800surrogate\udfff@x.io',
  'nul\u0000tab\tcr\r@x.io',
  'amp&lt;gt>@x.io',
];

describe('serializeForScript', () => {
  it.each(HOSTILE)('%j becomes printable ASCII with no <, > or & and parses back intact', (value) => {
    const out = serializeForScript({ value });
    expect(out).toMatch(PRINTABLE_ASCII);
    expect(out).not.toMatch(/[<>&]/);
    expect(JSON.parse(out)).toEqual({ value });
  });

  it('writes an astral character as its two surrogate escapes', () => {
    expect(serializeForScript('\ud83d\ude80')).toBe('"\\ud83d\\ude80"');
  });
});

describe('scriptTag', () => {
  it.each(HOSTILE)('a hostile email %j is pure ASCII, runs nothing and arrives intact', (email) => {
    const tag = scriptTag(settings(email, { inlineEmbedSelector: email }), 'n"\u00e9');
    expect(tag).toMatch(PRINTABLE_ASCII);
    expect(tag.indexOf('</script>')).toBe(tag.length - '</script>'.length);
    expect(tag.slice(0, -9)).not.toMatch(/<!--|<script(?! data-hubspot-identify)/i);
    const window = run(tag.replace(/^<script[^>]*>/, '').replace(/<\/script>$/, ''));
    expect(window['pwned']).toBeUndefined();
    expect(window['hsConversationsSettings']).toMatchObject({ identificationEmail: email, inlineEmbedSelector: email });
  });

  it('carries the nonce, escaped as an attribute', () => {
    expect(scriptTag(settings('a@b.c'), 'abc123')).toMatch(/^<script data-hubspot-identify nonce="abc123">/);
    expect(scriptTag(settings('a@b.c'), '"><img>')).toContain('nonce="&#34;&#62;&#60;img&#62;"');
    expect(scriptTag(settings('a@b.c'))).toMatch(/^<script data-hubspot-identify>/);
  });

  it('merges into settings the page set itself: identity fields win, the others stay', () => {
    const window = run(scriptBody(settings('ada@example.com', { disableAttachment: true })), {
      hsConversationsSettings: { inlineEmbedSelector: '#chat', identificationEmail: 'old@x.io', disableAttachment: false },
    });
    expect(window['hsConversationsSettings']).toEqual({
      inlineEmbedSelector: '#chat',
      ...settings('ada@example.com', { disableAttachment: true }),
    });
  });
});

describe('the widget calls, in each order', () => {
  it("before the SDK: queues one load() on hsConversationsOnReady, keeping the page's own ready functions", () => {
    const own = () => undefined;
    const window = run(scriptBody(settings('ada@example.com')), { hsConversationsOnReady: [own] });
    expect((window['hsConversationsOnReady'] as unknown[])[0]).toBe(own);
    const { api, calls } = sdk(false);
    initialise(window, api);
    expect(calls).toEqual(['load']);
  });

  it('after the SDK: calls load() directly (the ready functions already ran)', () => {
    const { api, calls } = sdk(false);
    run(scriptBody(settings('ada@example.com')), { HubSpotConversations: api });
    expect(calls).toEqual(['load']);
  });

  it('after the widget loaded anonymous: reloads it with the identity', () => {
    const { api, calls } = sdk(true);
    run(scriptBody(settings('ada@example.com', { loadImmediately: true })), { HubSpotConversations: api });
    expect(calls).toEqual(['remove', 'load']);
  });

  it('loadImmediately true before the SDK: only sets settings, the loader loads', () => {
    const window = run(scriptBody(settings('ada@example.com', { loadImmediately: true })));
    const { api, calls } = sdk(true);
    initialise(window, api);
    expect(calls).toEqual([]);
    expect(window['hsConversationsSettings']).toMatchObject({ loadImmediately: true });
  });

  it('a second copy of the same script does nothing more', () => {
    const body = scriptBody(settings('ada@example.com'));
    const window = run(body);
    run(body, window);
    const { api, calls } = sdk(false);
    initialise(window, api);
    run(body, window);
    expect(calls).toEqual(['load']);
  });

  it('resetFirst clears once before identifying, in both orders', () => {
    const body = scriptBody(settings('bob@example.com'), { resetFirst: true });
    const before = run(body);
    const first = sdk(false);
    initialise(before, first.api);
    expect(first.calls).toEqual(['clear {"resetWidget":true}', 'load']);

    const second = sdk(true);
    const after = run(body, { HubSpotConversations: second.api });
    run(body, after);
    expect(second.calls).toEqual(['clear {"resetWidget":true}', 'remove', 'load']);
  });

  it('the page assigning both globals whole after the script: its fields kept, ours winning, its ready function and ours run', () => {
    const window = run(scriptBody(settings('ada@example.com')));
    const own = () => undefined;
    window['hsConversationsSettings'] = { inlineEmbedSelector: '#chat', identificationEmail: 'page@x.io' };
    window['hsConversationsOnReady'] = [own];
    expect(window['hsConversationsSettings']).toEqual({ inlineEmbedSelector: '#chat', ...settings('ada@example.com') });
    expect((window['hsConversationsOnReady'] as unknown[])[0]).toBe(own);
    const { api, calls } = sdk(false);
    initialise(window, api);
    expect(calls).toEqual(['load']);
  });

  it('settings the SDK read without the identity (replaced where no setter saw it): put back, and a loaded widget reloaded once', () => {
    const window = run(scriptBody(settings('ada@example.com')));
    delete window['hsConversationsSettings'];
    window['hsConversationsSettings'] = { inlineEmbedSelector: '#chat' };
    const { api, calls } = sdk(true);
    initialise(window, api);
    expect(calls).toEqual(['remove', 'load']);
    expect(window['hsConversationsSettings']).toEqual({ inlineEmbedSelector: '#chat', ...settings('ada@example.com') });
  });

  it('in strict mode too (the browser entry is an ES module), frozen globals and a throwing assignment throw nothing', () => {
    const window: Record<string, unknown> = {};
    Object.defineProperty(window, 'hsConversationsSettings', { value: Object.freeze({ a: 1 }), writable: false, enumerable: true });
    Object.defineProperty(window, 'hsConversationsOnReady', { value: Object.freeze([]), writable: false, enumerable: true });
    expect(() => runInNewContext(`'use strict';${scriptBody(settings('ada@example.com'))}`, { window })).not.toThrow();
    expect(() => runInNewContext(`'use strict';${resetScriptBody()}`, { window })).not.toThrow();

    const page = run(`'use strict';${scriptBody(settings('ada@example.com'))}`);
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('keys');
        },
        set() {
          throw new Error('set');
        },
      },
    );
    expect(() => {
      page['hsConversationsSettings'] = hostile;
    }).not.toThrow();
    expect(() => {
      page['hsConversationsOnReady'] = hostile;
    }).not.toThrow();
  });

  it('a widget SDK that throws does not break the page', () => {
    const api = {
      widget: {
        status: () => {
          throw new Error('boom');
        },
      },
    };
    expect(() => run(scriptBody(settings('ada@example.com')), { HubSpotConversations: api })).not.toThrow();
  });
});

describe('the script text', () => {
  it("is one line with no comment and no < or >: the page functions' source with what a parser does not need left out", () => {
    for (const body of [scriptBody(settings('ada@example.com')), resetScriptBody()]) {
      expect(body).toMatch(PRINTABLE_ASCII);
      expect(body).not.toMatch(/\/\*|\/\/|\n|[<>]/);
      expect(body).toMatch(/^\(function\(w,/);
    }
  });
});

describe('resetScriptTag', () => {
  it('is pure ASCII, carries the nonce and forgets the identity in settings', () => {
    expect(resetScriptTag('abc')).toMatch(/^<script data-hubspot-identify nonce="abc">/);
    expect(resetScriptTag()).toMatch(PRINTABLE_ASCII);
    const window = run(resetScriptBody(), {
      hsConversationsSettings: { identificationEmail: 'a@b.c', identificationToken: 't', inlineEmbedSelector: '#c' },
    });
    expect(window['hsConversationsSettings']).toEqual({ inlineEmbedSelector: '#c' });
  });

  it('clears exactly once, before or after the SDK, however many copies run', () => {
    const window = run(resetScriptBody());
    run(resetScriptBody(), window);
    const before = sdk(true);
    initialise(window, before.api);
    expect(before.calls).toEqual(['clear {"resetWidget":true}']);

    const after = sdk(true);
    const page = run(resetScriptBody(), { HubSpotConversations: after.api });
    run(resetScriptBody(), page);
    expect(after.calls).toEqual(['clear {"resetWidget":true}']);
  });
});

describe('the page functions as source text', () => {
  it("wrangler's bundler broke the script (__name is not defined): it is taken at build time, and the committed copy is current", () => {
    const check = spawnSync(process.execPath, ['scripts/page-source.mjs', '--check'], {
      cwd: resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(scriptBody({ identificationEmail: 'a@b.c', identificationToken: 't', loadImmediately: false })).not.toContain('__name');
  });
});
