// The logout marker: a small HttpOnly cookie naming, without the email, the visitor a browser's widget was last identified as.
//
// HubSpot's chat cookie lives 13 months: unless the page runs clear({ resetWidget: true }) when a visitor
// leaves, the next person on that browser sees their conversations. The marker tells the server that
// the widget still carries someone, so the first anonymous page (or another visitor's) resets it.
//
// Nobody else must be able to make pages reset forever. Over https the cookie is `__Host-hsi_v`, which
// only this host can set. Over http a sibling subdomain can set `hsi_v` for the parent domain, which
// this host can neither see apart from its own nor delete, so a reset does not expire the marker: it
// sets a host-only TOMBSTONE in its place (`~` and the first 8 characters of every marker it covers,
// dot-separated). A marker a tombstone in the same Cookie header covers no longer counts, so a planted
// value causes at most one reset. A planted tombstone can only cover values its author knows, and the
// real marker is HttpOnly and host-only: it never reaches the sibling. Setting a real marker replaces
// the tombstone (same name, host and path), so a later login is marked again.

/** The marker cookie's name over http. */
export const MARKER_COOKIE = 'hsi_v';
const HOST_MARKER_COOKIE = `__Host-${MARKER_COOKIE}`;

/** The marker cookie's name for a request's scheme: `__Host-hsi_v` over https (Secure, Path=/, no Domain), `hsi_v` over http. */
export function markerCookieName(secure: boolean): string {
  return secure ? HOST_MARKER_COOKIE : MARKER_COOKIE;
}

// As long as HubSpot keeps its own chat cookie (13 months), so the marker never expires before the widget's memory does.
const MAX_AGE = 395 * 24 * 60 * 60;
const ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Lax';

const MARKER = /^[A-Za-z0-9_-]{22}$/;
const FINGERPRINT_LENGTH = 8;
const TOMBSTONE = /^~[A-Za-z0-9_-]{8}(?:\.[A-Za-z0-9_-]{8})*$/;
// Enough for every cookie of the name a request can carry (one per parent domain and path prefix), in under 300 bytes.
const MAX_COVERED = 32;
// Browsers keep cookies of at most 4096 bytes; anything longer was not set by one.
const MAX_VALUE_LENGTH = 4096;

/** Whether a cookie value is a well-formed marker: exactly 22 base64url characters, as markerValue makes. */
export function isMarkerValue(value: string): boolean {
  return MARKER.test(value);
}

const fingerprint = (marker: string) => marker.slice(0, FINGERPRINT_LENGTH);
const isSpace = (char: string | undefined) => char === ' ' || char === '\t';

/** Where the value of the first cookie named `name` at or after `from` starts in a Cookie header, or -1. Cookies are `name=value` pairs separated by `;` and spaces. */
function valueStart(cookieHeader: string, name: string, from: number): number {
  let at = cookieHeader.indexOf(name, from);
  while (at !== -1) {
    let before = at - 1;
    while (isSpace(cookieHeader[before])) before--;
    let after = at + name.length;
    while (isSpace(cookieHeader[after])) after++;
    if ((before < 0 || cookieHeader[before] === ';') && cookieHeader[after] === '=') {
      after++;
      while (isSpace(cookieHeader[after])) after++;
      return after;
    }
    at = cookieHeader.indexOf(name, at + 1);
  }
  return -1;
}

/** The values of every cookie named `name`, in header order, trimmed and unquoted. */
function valuesNamed(cookieHeader: string, name: string): string[] {
  const values: string[] = [];
  for (let start = valueStart(cookieHeader, name, 0); start !== -1; ) {
    const semicolon = cookieHeader.indexOf(';', start);
    const end = semicolon === -1 ? cookieHeader.length : semicolon;
    let value = cookieHeader.slice(start, end).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
    start = valueStart(cookieHeader, name, end);
  }
  return values;
}

/** What a request's marker cookies say. */
export interface MarkerState {
  /** Well-formed markers that no tombstone in the same header covers, each once, in header order: whoever the widget may still hold. */
  readonly uncovered: readonly string[];
  /**
   * What a reset's tombstone covers: the fingerprint of every well-formed marker present (covered or
   * not, since the reset replaces the tombstone that covered them), then those the header's tombstones
   * covered (so planted values seen on other paths stay covered), each once, at most 32.
   */
  readonly cover: readonly string[];
}

const NO_MARKERS: MarkerState = Object.freeze({ uncovered: Object.freeze([]), cover: Object.freeze([]) });

/**
 * Reads every cookie of the marker's name for the request's scheme. Malformed values (not a marker,
 * not a tombstone) are ignored: they never cause a reset.
 */
export function readMarkers(cookieHeader: unknown, secure: boolean): MarkerState {
  const name = markerCookieName(secure);
  if (typeof cookieHeader !== 'string' || !cookieHeader.includes(name)) return NO_MARKERS;
  const markers: string[] = [];
  const tombstoned = new Set<string>();
  for (const value of valuesNamed(cookieHeader, name)) {
    if (isMarkerValue(value)) {
      if (!markers.includes(value)) markers.push(value);
    } else if (value.length <= MAX_VALUE_LENGTH && TOMBSTONE.test(value)) {
      for (const covered of value.slice(1).split('.')) tombstoned.add(covered);
    }
  }
  if (markers.length === 0 && tombstoned.size === 0) return NO_MARKERS;
  const uncovered = markers.filter((marker) => !tombstoned.has(fingerprint(marker)));
  const cover = [...new Set([...markers.map(fingerprint), ...tombstoned])].slice(0, MAX_COVERED);
  return { uncovered, cover };
}

/**
 * Whether the header's only cookie of this name is `value`, read in place: the usual identified
 * page, whose browser holds exactly its own marker, decides without allocating.
 */
function holdsOnly(cookieHeader: string, name: string, start: number, value: string): boolean {
  const quoted = cookieHeader[start] === '"';
  const from = quoted ? start + 1 : start;
  if (!cookieHeader.startsWith(value, from)) return false;
  let after = from + value.length;
  if (quoted && cookieHeader[after++] !== '"') return false;
  while (isSpace(cookieHeader[after])) after++;
  if (after < cookieHeader.length && cookieHeader[after] !== ';') return false;
  return valueStart(cookieHeader, name, after) === -1;
}

/**
 * The marker's step on a page that identifies the visitor whose marker is `value`:
 * - `'keep'`: the browser holds that marker, uncovered; nothing to send;
 * - `'set'`: send setMarkerCookie(value), replacing no one (no marker, or only covered ones);
 * - `'reset-then-set'`: another uncovered marker is there, so the widget may hold someone else:
 *   reset it before identifying, and set the marker.
 */
export function identifiedMarkerStep(cookieHeader: unknown, secure: boolean, value: string): 'keep' | 'set' | 'reset-then-set' {
  if (typeof cookieHeader !== 'string') return 'set';
  const name = markerCookieName(secure);
  const start = valueStart(cookieHeader, name, 0);
  if (start === -1) return 'set';
  if (holdsOnly(cookieHeader, name, start, value)) return 'keep';
  const { uncovered } = readMarkers(cookieHeader, secure);
  // A covered copy of the marker is a logged-out one: set it again, or the next logout would not reset.
  if (uncovered.includes(value)) return 'keep';
  return uncovered.length > 0 ? 'reset-then-set' : 'set';
}

/**
 * The marker's step on a page load that carries no identity: `'reset'` (send resetMarkerCookie(state)
 * and the reset script) when an uncovered marker is there, else `'keep'`. `namedValue` is the marker
 * of a visitor the resolver named but who got no token in time: their own marker needs no reset, as
 * the widget holds them still; others beside it were planted, since only this host sets markers.
 */
export function anonymousMarkerStep(state: MarkerState, namedValue?: string): 'keep' | 'reset' {
  if (state.uncovered.length === 0) return 'keep';
  if (namedValue !== undefined && state.uncovered.includes(namedValue)) return 'keep';
  return 'reset';
}

/** Whether the Cookie header may hold a marker, of either name: one indexOf, for the requests that have none. */
export function mayHoldMarker(cookieHeader: unknown): boolean {
  return typeof cookieHeader === 'string' && cookieHeader.includes(MARKER_COOKIE);
}

const cookie = (secure: boolean, value: string, maxAge: number) =>
  `${markerCookieName(secure)}=${value}; Max-Age=${maxAge}; ${ATTRIBUTES}${secure ? '; Secure' : ''}`;

/** The Set-Cookie value that sets the marker: host-only, on the whole site, `__Host-` and `Secure` over https. */
export function setMarkerCookie(value: string, secure: boolean): string {
  return cookie(secure, value, MAX_AGE);
}

/**
 * The Set-Cookie value of a reset: the host-only tombstone covering every marker the request
 * carried, kept as long as a marker would be, so a planted one it covers never counts again.
 */
export function resetMarkerCookie(state: MarkerState, secure: boolean): string {
  return state.cover.length === 0 ? cookie(secure, '', 0) : cookie(secure, `~${state.cover.join('.')}`, MAX_AGE);
}

/** Whether a response's Set-Cookie (one value or a list) already sets or resets the marker, of either name: a second middleware on the request adds none. */
export function carriesMarker(setCookie: unknown): boolean {
  const values = Array.isArray(setCookie) ? setCookie : [setCookie];
  return values.some(
    (value) => typeof value === 'string' && (value.startsWith(`${MARKER_COOKIE}=`) || value.startsWith(`${HOST_MARKER_COOKIE}=`)),
  );
}
