// The fake HubSpot loader: behaves as HubSpot's conversations SDK does towards the page, and shows a small widget.

/**
 * The loader's source. `knownTokens` maps each token the fake minted to its email, so the widget
 * says "identified" only for a token that really belongs to that email.
 */
export function loaderScript(knownTokens: Record<string, string>): string {
  return `(function (w, d) {
  var known = ${JSON.stringify(knownTokens).replace(/</g, '\\u003c')};
  var fake = w.__hubspotFake = w.__hubspotFake || { loads: 0, settingsAtStart: null, settingsAtLoad: null, cleared: 0, identified: null };
  var settings = w.hsConversationsSettings || {};
  fake.settingsAtStart = JSON.parse(JSON.stringify(settings));
  var loaded = false, box = null, forgotten = false;
  function render() {
    var s = w.hsConversationsSettings || {};
    var email = s.identificationEmail, token = s.identificationToken;
    fake.identified = !forgotten && email && token && known[token] && known[token].toLowerCase() === String(email).toLowerCase() ? email : null;
    box = box || d.createElement('div');
    box.id = 'hubspot-fake-widget';
    box.setAttribute('style', 'position:fixed;right:16px;bottom:16px;padding:12px 16px;border-radius:12px;background:#ff7a59;color:#fff;font:14px system-ui,sans-serif;box-shadow:0 4px 12px rgba(0,0,0,.2)');
    box.textContent = fake.identified ? 'Chat: identified as ' + fake.identified : 'Chat: unknown visitor';
    if (!box.parentNode) (d.body || d.documentElement).appendChild(box);
  }
  var widget = {
    load: function () {
      fake.loads++;
      if (loaded) return;
      loaded = true;
      fake.settingsAtLoad = JSON.parse(JSON.stringify(w.hsConversationsSettings || {}));
      if (d.body) render(); else d.addEventListener('DOMContentLoaded', render);
    },
    remove: function () { loaded = false; if (box && box.parentNode) box.parentNode.removeChild(box); },
    refresh: function () { if (loaded) render(); },
    status: function () { return { loaded: loaded }; }
  };
  w.HubSpotConversations = {
    widget: widget,
    // Like HubSpot's: forgets the visitor for the rest of this page; the next page starts afresh.
    clear: function (options) {
      fake.cleared++;
      forgotten = true;
      fake.identified = null;
      if (options && options.resetWidget && loaded) { widget.remove(); widget.load(); }
    },
    on: function () {}, off: function () {}
  };
  if (settings.loadImmediately !== false) widget.load();
  var ready = w.hsConversationsOnReady || [];
  for (var i = 0; i < ready.length; i++) ready[i]();
  w.hsConversationsOnReady = { push: function (f) { f(); } };
})(window, document);
`;
}
