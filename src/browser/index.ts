// hubspot-identify/browser: identifies the HubSpot chat widget from a client-rendered page, through the app's tokenRoute. No dependencies.
import { identifyInPage, resetInPage } from './page.js';
import { visitorFingerprint } from './visitor-fingerprint.js';

/** The widget settings besides identification (HubSpot's names). */
export interface BrowserWidgetSettings {
  inlineEmbedSelector?: string;
  enableWidgetCookieBanner?: boolean | 'ON_WIDGET_LOAD' | 'ON_EXIT_INTENT';
  disableAttachment?: boolean;
  disableInitialInputFocus?: boolean;
  avoidInlineStyles?: boolean;
}

/** Time as identifyWidget sees it; tests pass their own. */
export interface BrowserClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface IdentifyWidgetOptions {
  /** The app's tokenRoute. Default: `'/hubspot/token'`. */
  route?: string;
  /** The fetch used for the route (sent with the page's cookies). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Clock and timers for refreshing before expiry. Default: `Date.now`, `setTimeout`, `clearTimeout`. */
  clock?: BrowserClock;
  /** How long before `expiresAt` the token is fetched again, in ms. Default: 5 minutes. */
  refreshBefore?: number;
  /** `false`: the widget is loaded by this helper; `true`: HubSpot's loader loads it. Default: `false`. */
  loadImmediately?: boolean;
  /** Other `hsConversationsSettings` fields. Default: none. */
  widget?: BrowserWidgetSettings;
}

/** What the route answered for the logged-in visitor. */
export interface BrowserIdentity {
  email: string;
  token: string;
  /** Milliseconds since the epoch (absent from servers older than the contract). */
  expiresAt?: number;
}

const DEFAULTS = { route: '/hubspot/token', refreshBefore: 5 * 60_000, loadImmediately: false };
const systemClock: BrowserClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
// The browser remembers across page loads whether (and as whom) it identified, so a logout or a new
// visitor resets the previous visitor's chat, as HubSpot's cookies outlive the page. Only a hash of the
// email as the server keys it is kept (visitor-fingerprint.ts): emails the server tells apart stay apart.
const STORAGE_KEY = 'hubspot-identify';

// One widget per page, so one state per page.
let requested = 0;
let applied = 0;
let current: BrowserIdentity | null = null;
let timer: { clock: BrowserClock; handle: unknown } | null = null;

function stopTimer(): void {
  if (timer) timer.clock.clearTimeout(timer.handle);
  timer = null;
}

// Timers past 2^31 - 1 ms fire at once in browsers.
const MAX_DELAY = 2 ** 31 - 1;
const RETRY_MS = 60_000;
const NO_EXPIRY_REFRESH_MS = 6 * 60 * 60_000;

function schedule(clock: BrowserClock, delay: number, options: IdentifyWidgetOptions): void {
  const handle = clock.setTimeout(
    () => {
      void identifyWidget(options);
    },
    Math.min(MAX_DELAY, Math.max(0, delay)),
  );
  timer = { clock, handle };
}

function remembered(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function remember(email: string | null): void {
  try {
    if (email === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, visitorFingerprint(email));
  } catch {
    /* storage off (privacy mode): resets then only follow this page's own history */
  }
}

function isIdentity(value: unknown): value is BrowserIdentity {
  const v = value as BrowserIdentity | null;
  return (
    !!v && typeof v.email === 'string' && typeof v.token === 'string' && (v.expiresAt === undefined || typeof v.expiresAt === 'number')
  );
}

/**
 * Fetches the visitor's token from `route`, sets `window.hsConversationsSettings` and loads (or
 * reloads) the widget as that visitor, whichever of this and HubSpot's SDK ran first; fetches again
 * `refreshBefore` expiry. A 401 means anonymous: a widget identified before is reset. An answer that
 * arrives after a newer one is ignored. Resolves to the identity, or null; never rejects.
 */
export async function identifyWidget(options: IdentifyWidgetOptions = {}): Promise<BrowserIdentity | null> {
  const config = { ...DEFAULTS, ...options };
  const clock = config.clock ?? systemClock;
  const fetchRoute = config.fetch ?? globalThis.fetch.bind(globalThis);
  const mine = ++requested;
  let identity: BrowserIdentity | null = null;
  let anonymous = false;
  try {
    const response = await fetchRoute(config.route, {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
    if (response.status === 401) anonymous = true;
    else if (response.ok) {
      const body: unknown = await response.json();
      if (isIdentity(body)) identity = body;
    }
  } catch {
    /* network failure: nothing changes, as for any other unusable answer */
  }
  if (mine < applied) return current;
  stopTimer();
  if (!identity && !anonymous) {
    // The route failed: an identified page keeps its token and asks again a little later.
    if (current) schedule(clock, RETRY_MS, options);
    return null;
  }
  applied = mine;
  if (!identity) {
    if (current || remembered() !== null) resetWidget();
    return null;
  }
  const previous = remembered();
  const reset = previous !== null && previous !== visitorFingerprint(identity.email);
  identifyInPage(
    window,
    {
      ...config.widget,
      identificationEmail: identity.email,
      identificationToken: identity.token,
      loadImmediately: config.loadImmediately,
    },
    reset,
  );
  current = identity;
  remember(identity.email);
  // An answer without expiresAt (an older server) is refreshed at the server cache's default refreshAfter.
  const expiresIn = identity.expiresAt === undefined ? NO_EXPIRY_REFRESH_MS + config.refreshBefore : identity.expiresAt - clock.now();
  schedule(clock, expiresIn - config.refreshBefore, options);
  return identity;
}

/** On logout: `clear({ resetWidget: true })` (now, or when the SDK is ready), identification settings forgotten, refreshes stopped. */
export function resetWidget(): void {
  stopTimer();
  applied = ++requested;
  current = null;
  remember(null);
  resetInPage(window, false);
}
