// What runs in the page: the one implementation of "identify the widget" and "reset it", used by the browser entry and stringified into the inline script.

/**
 * Sets `settings` into `window.hsConversationsSettings` (the page's other fields stay) and makes the
 * widget load as that visitor whatever ran first. The SDK reads the settings once, when it
 * initialises, and calls `hsConversationsOnReady` once, then: so when it is already there it is
 * called directly, and a widget it loaded before these settings existed is reloaded
 * (`remove()`, `load()`). `reset` first clears the previous visitor (`clear({ resetWidget: true })`).
 * The same token twice does nothing more; the same email with a new token only updates the settings.
 * SDK errors are swallowed: a broken widget must not break the page.
 *
 * Self-contained and ES5 on purpose: its source text is the inline script (see html/script.ts).
 */
export function identifyInPage(w: any, settings: any, reset: boolean): void {
  var mark = w.__hubspotIdentify;
  if (mark && mark.t === settings.identificationToken) return;
  w.__hubspotIdentify = { e: settings.identificationEmail, t: settings.identificationToken };
  var merge = function () {
    var s = w.hsConversationsSettings || {};
    for (var k in settings) s[k] = settings[k];
    w.hsConversationsSettings = s;
  };
  if (mark && mark.e === settings.identificationEmail) return merge();
  var api = w.HubSpotConversations;
  try {
    if (api && api.widget) {
      if (reset) api.clear({ resetWidget: true });
      merge();
      if (api.widget.status().loaded) {
        api.widget.remove();
        api.widget.load();
      } else if (!settings.loadImmediately) api.widget.load();
      return;
    }
  } catch (e) {}
  merge();
  var ready = (w.hsConversationsOnReady = w.hsConversationsOnReady || []);
  ready.push(function () {
    try {
      var api = w.HubSpotConversations;
      if (reset) api.clear({ resetWidget: true });
      if (!settings.loadImmediately && !api.widget.status().loaded) api.widget.load();
    } catch (e) {}
  });
}

/**
 * Forgets the visitor: `clear({ resetWidget: true })` now or when the SDK is ready, identification
 * settings removed. With `once`, a second call on the same page does nothing (a repeated inline script).
 *
 * Self-contained and ES5 on purpose, like identifyInPage.
 */
export function resetInPage(w: any, once: boolean): void {
  if (once && w.__hubspotIdentifyReset) return;
  w.__hubspotIdentifyReset = 1;
  w.__hubspotIdentify = null;
  var s = w.hsConversationsSettings;
  if (s) {
    delete s.identificationEmail;
    delete s.identificationToken;
  }
  var clear = function () {
    try { w.HubSpotConversations.clear({ resetWidget: true }); } catch (e) {}
  };
  if (w.HubSpotConversations) clear();
  else (w.hsConversationsOnReady = w.hsConversationsOnReady || []).push(clear);
}
