// The fake HubSpot loader: behaves towards the page as HubSpot's documented conversations SDK does, shows a small badge, and records what a test needs.

/*
 * Faithful to HubSpot's documented SDK (developers.hubspot.com, "Conversations SDK"):
 * - `window.hsConversationsSettings` is read once, at initialisation: `loadImmediately` (default true)
 *   decides there whether the widget loads by itself; `load()` identifies with the settings current
 *   at that moment (so `remove()` then `load()` reloads with the current settings).
 * - the functions in `window.hsConversationsOnReady` are called once, in order, at initialisation; the
 *   array is left as it is (no `push` that calls later: HubSpot documents none).
 * - `widget.load()` does nothing when the widget is loaded; `widget.status()` is `{ loaded }`;
 *   `widget.remove()` unloads it; `widget.refresh()` re-renders a loaded widget.
 * - `clear({ resetWidget: true })` deletes the chat cookie (`messagesUtk`) and recreates a loaded
 *   widget; `clear()` only deletes the cookie.
 * - a second copy of the loader on a page does nothing (HubSpot initialises once).
 * Not modelled: the iframe, chat content and events (`on`/`off` accept and ignore), `widget.open/close`,
 * the `pending` state while the iframe loads (loading is synchronous here), cookie banners, and
 * HubSpot's checking of the token itself: the fake only checks the token was minted for that email.
 *
 * `window.__hubspotFake` records: `loadCalls` (every `load()`), `loads` (real loads),
 * `identifiedLoads`, `identified` (email the widget shows, or null), `clears`, `settingsAtStart`
 * (read at init), `settingsAtLoad` (at the last real load), `visitorAtLoad` (cookie at the last load).
 */

/**
 * The mark a fake token carries of its email (FNV-1a of the lower-cased email), so the loader can tell
 * a token minted for that email from any other, even one minted after the loader was served.
 * Self-contained and ES5: its source is also part of the loader.
 */
export function emailMark(email: string): string {
  var hash = 0x811c9dc5;
  var text = String(email).toLowerCase();
  for (var i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/** The loader's source: pure ASCII, as a script without a charset is read in the page's charset. */
export function loaderScript(): string {
  return `(function (w, d) {
  if (w.HubSpotConversations) return;
  var emailMark = ${emailMark.toString()};
  var belongs = function (token, email) { return typeof token === 'string' && typeof email === 'string' && token.split('-').pop() === emailMark(email); };
  var fake = w.__hubspotFake = { loadCalls: 0, loads: 0, identifiedLoads: 0, identified: null, clears: 0, cleared: 0, settingsAtStart: null, settingsAtLoad: null, visitorAtLoad: null };
  var copy = function (v) { return JSON.parse(JSON.stringify(v || {})); };
  var settings = copy(w.hsConversationsSettings);
  fake.settingsAtStart = settings;
  var loaded = false, box = null;
  function visitorCookie(create) {
    var m = /(?:^|;\\s*)messagesUtk=([^;]+)/.exec(d.cookie);
    if (m || !create) return m ? m[1] : null;
    var utk = Math.random().toString(16).slice(2);
    d.cookie = 'messagesUtk=' + utk + '; path=/; max-age=' + 60 * 60 * 24 * 395;
    return utk;
  }
  function render() {
    if (!loaded) return;
    box = box || d.createElement('div');
    box.id = 'hubspot-fake-widget';
    box.setAttribute('style', 'position:fixed;right:16px;bottom:16px;padding:12px 16px;border-radius:12px;background:#ff7a59;color:#fff;font:14px system-ui,sans-serif;box-shadow:0 4px 12px rgba(0,0,0,.2)');
    box.textContent = fake.identified ? 'Chat: identified as ' + fake.identified : 'Chat: unknown visitor';
    if (!box.parentNode) (d.body || d.documentElement).appendChild(box);
  }
  var widget = {
    load: function () {
      fake.loadCalls++;
      if (loaded) return;
      loaded = true;
      fake.loads++;
      var s = copy(w.hsConversationsSettings);
      fake.settingsAtLoad = s;
      fake.visitorAtLoad = visitorCookie(true);
      var email = s.identificationEmail, token = s.identificationToken;
      fake.identified = belongs(token, email) ? email : null;
      if (fake.identified) fake.identifiedLoads++;
      if (d.body) render(); else d.addEventListener('DOMContentLoaded', render);
    },
    remove: function () {
      loaded = false;
      fake.identified = null;
      if (box && box.parentNode) box.parentNode.removeChild(box);
    },
    refresh: function () { render(); },
    status: function () { return { loaded: loaded }; }
  };
  w.HubSpotConversations = {
    widget: widget,
    clear: function (options) {
      fake.clears++;
      fake.cleared = fake.clears;
      d.cookie = 'messagesUtk=; path=/; max-age=0';
      if (options && options.resetWidget && loaded) { widget.remove(); widget.load(); }
    },
    on: function () {}, off: function () {}
  };
  if (settings.loadImmediately !== false) widget.load();
  var ready = w.hsConversationsOnReady;
  if (ready && ready.length) for (var i = 0; i < ready.length; i++) { try { ready[i](); } catch (e) { setTimeout(function () { throw e; }); } }
})(window, document);
`;
}
