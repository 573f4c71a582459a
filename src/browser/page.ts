// What runs in the page: the one implementation of "identify the widget" and "reset it", used by the browser entry and stringified into the inline script.

/*
 * Both functions are self-contained ES5 on purpose: their source text is the inline script (html/script.ts
 * strips the block comments and the spaces). They run where the page's own scripts may come before or
 * after them, so:
 * - HubSpot's SDK reads `window.hsConversationsSettings` and calls `window.hsConversationsOnReady` once, at
 *   its initialisation. The page may assign either global as a whole after us (HubSpot's docs show
 *   `window.hsConversationsSettings = {...}` and `window.hsConversationsOnReady = [...]`), which would drop
 *   what we set. So each becomes an accessor whose setter puts ours back into what the page assigns: a
 *   later `var x = {...}` goes through it too, as a var declaration keeps an existing property. It stays
 *   configurable, or a later top-level `let` of that name would be a SyntaxError in the page. A `var` the
 *   page declared before us is not configurable: it gets the value with ours in it instead.
 * - As a backstop, the function queued on hsConversationsOnReady checks that the settings the SDK read
 *   carried the identity; when not (the page replaced them where no setter could see it), it puts the
 *   identity back and reloads the widget (`remove()`, `load()`): once, as it runs once.
 * - Nothing may throw into the page, whatever the page made of these globals (throwing getters, frozen
 *   values, a non-array queue, a replaced Array.prototype.push): every step is guarded on its own, so one
 *   refusal leaves the others working, and no Array method is called on the page's values.
 */

/**
 * Sets `settings` into `window.hsConversationsSettings` (the page's other fields stay, ours win) and makes
 * the widget load as that visitor whatever ran first. Before the SDK, a function queued on
 * `hsConversationsOnReady` loads it (`loadImmediately` false) or lets the loader do it (true); after the
 * SDK, the widget is loaded now, or reloaded (`remove()`, `load()`) when it loaded without these settings.
 * `reset` first clears the previous visitor (`clear({ resetWidget: true })`). The same token twice does
 * nothing more; the same email with a new token only updates the settings.
 */
export function identifyInPage(w: any, settings: any, reset: boolean): void {
  var mine = { e: settings.identificationEmail, t: settings.identificationToken };
  var SETTINGS = 'hsConversationsSettings';
  var ran: any, last: any, api: any;
  var ours = function (s: any) {
    return !!s && s.identificationToken === mine.t && s.identificationEmail === mine.e;
  };
  /* The settings with our fields over the page's: in its own object when that takes them, else in a copy.
     Once a reset or another identity took over, what the page assigns is left as it is. */
  var merge = function (s: any) {
    var k, copy: any = {};
    if (w.__hubspotIdentify !== mine) return s;
    if (s && typeof s == 'object') {
      try { for (k in settings) s[k] = settings[k]; } catch (e) {}
      if (ours(s)) return s;
      for (k in s) copy[k] = s[k];
    }
    for (k in settings) copy[k] = settings[k];
    return copy;
  };
  /* The page's ready functions with ours last: in its own array when that takes it, else in a copy. */
  var queue = function (q: any) {
    var i, copy: any[] = [];
    if (ran) return q;
    if (Array.isArray(q)) {
      try { q[q.length] = ready; } catch (e) {}
      if (q[q.length - 1] === ready) return q;
      for (i = q.length; i--;) copy[i] = q[i];
    } else if (typeof q == 'function') copy[0] = q;
    copy[copy.length] = ready;
    return copy;
  };
  /* w[name] becomes fix(w[name]), and stays fixed whatever the page assigns to it later. */
  var hook = function (name: string, fix: (value: any) => any) {
    var value: any;
    try { value = w[name]; } catch (e) {}
    try {
      value = fix(value);
      Object.defineProperty(w, name, {
        configurable: true,
        enumerable: true,
        get: function () { return value; },
        set: function (v: any) {
          value = v;
          try { value = fix(v); } catch (e) {}
        }
      });
    } catch (e) {
      try { w[name] = value; } catch (e) {}
    }
  };
  /* With the SDK there. sawMine: the settings it read at initialisation carried the identity; a widget
     loaded without it is reloaded, unless the page's settings refused it (frozen): that would change nothing. */
  var load = function (api: any, sawMine: boolean) {
    var stale = w.__hubspotIdentify === mine && !sawMine;
    try { if (reset) api.clear({ resetWidget: true }); } catch (e) {}
    if (stale) hook(SETTINGS, merge);
    try {
      var widget = api.widget;
      if (!widget.status().loaded) {
        if (!settings.loadImmediately) widget.load();
      } else if (stale && ours(w[SETTINGS])) {
        widget.remove();
        widget.load();
      }
    } catch (e) {}
  };
  var ready = function () {
    if (ran) return;
    ran = 1;
    try { load(w.HubSpotConversations, ours(w[SETTINGS])); } catch (e) {}
  };
  try {
    last = w.__hubspotIdentify;
    if (last && last.t === mine.t) return;
    w.__hubspotIdentify = mine;
    api = w.HubSpotConversations;
  } catch (e) {}
  if (last && last.e === mine.e) return hook(SETTINGS, merge);
  try { if (api && api.widget) return load(api, false); } catch (e) {}
  hook(SETTINGS, merge);
  hook('hsConversationsOnReady', queue);
}

/**
 * Forgets the visitor: `clear({ resetWidget: true })` now or when the SDK is ready, identification
 * settings removed. With `once`, a second call on the same page does nothing (a repeated inline script).
 * Keeps its function on `hsConversationsOnReady` as identifyInPage does: the same few lines, as each
 * function's source is a script of its own.
 */
export function resetInPage(w: any, once: boolean): void {
  var ran: any, value: any;
  var clear = function () {
    if (ran) return;
    ran = 1;
    try { w.HubSpotConversations.clear({ resetWidget: true }); } catch (e) {}
  };
  var queue = function (q: any) {
    var i, copy: any[] = [];
    if (ran) return q;
    if (Array.isArray(q)) {
      try { q[q.length] = clear; } catch (e) {}
      if (q[q.length - 1] === clear) return q;
      for (i = q.length; i--;) copy[i] = q[i];
    } else if (typeof q == 'function') copy[0] = q;
    copy[copy.length] = clear;
    return copy;
  };
  try {
    if (once && w.__hubspotIdentifyReset) return;
    w.__hubspotIdentifyReset = 1;
    w.__hubspotIdentify = null;
  } catch (e) {}
  try {
    value = w.hsConversationsSettings;
    delete value.identificationEmail;
    delete value.identificationToken;
  } catch (e) {}
  try { if (w.HubSpotConversations) return clear(); } catch (e) {}
  try { value = w.hsConversationsOnReady; } catch (e) {}
  try {
    value = queue(value);
    Object.defineProperty(w, 'hsConversationsOnReady', {
      configurable: true,
      enumerable: true,
      get: function () { return value; },
      set: function (v: any) {
        value = v;
        try { value = queue(v); } catch (e) {}
      }
    });
  } catch (e) {
    try { w.hsConversationsOnReady = value; } catch (e) {}
  }
}
