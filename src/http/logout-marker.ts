// The logout marker: a small HttpOnly cookie naming, without the email, the visitor a browser's widget was last identified as.
//
// HubSpot's chat cookie lives 13 months: unless the page runs clear({ resetWidget: true }) when a visitor
// leaves, the next person on that browser sees their conversations. The marker tells the server that
// the widget still carries someone, so the first anonymous page (or another visitor's) resets it.
// The value is a visitor key: markerValue in tokens/visitor.ts.

/** The marker cookie's name. */
export const MARKER_COOKIE = 'hsi_v';

// As long as HubSpot keeps its own chat cookie (13 months), so the marker never expires before the widget's memory does.
const MAX_AGE = 395 * 24 * 60 * 60;
const ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Lax';

/** Where the marker's value starts in a Cookie header, or -1. Cookies are `name=value` pairs separated by `;` and spaces. */
function valueStart(cookieHeader: string): number {
  let at = cookieHeader.indexOf(MARKER_COOKIE);
  while (at !== -1) {
    let before = at - 1;
    while (before >= 0 && (cookieHeader[before] === ' ' || cookieHeader[before] === '\t')) before--;
    let after = at + MARKER_COOKIE.length;
    while (cookieHeader[after] === ' ' || cookieHeader[after] === '\t') after++;
    if ((before < 0 || cookieHeader[before] === ';') && cookieHeader[after] === '=') {
      after++;
      while (cookieHeader[after] === ' ' || cookieHeader[after] === '\t') after++;
      return after;
    }
    at = cookieHeader.indexOf(MARKER_COOKIE, at + 1);
  }
  return -1;
}

/** The marker's value in a request's Cookie header (several cookies, spaces and a quoted value allowed); undefined when absent, empty or not a string. */
export function readMarker(cookieHeader: unknown): string | undefined {
  if (typeof cookieHeader !== 'string') return undefined;
  const start = valueStart(cookieHeader);
  if (start === -1) return undefined;
  const end = cookieHeader.indexOf(';', start);
  let value = cookieHeader.slice(start, end === -1 ? undefined : end).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value === '' ? undefined : value;
}

/** Whether the Cookie header's marker is `value`; reads in place (the identified page whose marker already matches allocates nothing). */
export function holdsMarker(cookieHeader: unknown, value: string): boolean {
  if (typeof cookieHeader !== 'string') return false;
  const start = valueStart(cookieHeader);
  if (start === -1) return false;
  const next = cookieHeader[start + value.length];
  if (cookieHeader.startsWith(value, start) && (next === undefined || next === ';' || next === ' ' || next === '\t')) return true;
  return readMarker(cookieHeader) === value;
}

/** Whether the Cookie header may hold a marker: one indexOf, for the requests that have none. */
export function mayHoldMarker(cookieHeader: unknown): boolean {
  return typeof cookieHeader === 'string' && cookieHeader.includes(MARKER_COOKIE);
}

/** The Set-Cookie value that sets the marker; `Secure` when the page came over https. */
export function setMarkerCookie(value: string, secure: boolean): string {
  return `${MARKER_COOKIE}=${value}; Max-Age=${MAX_AGE}; ${ATTRIBUTES}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that expires the marker. */
export function expireMarkerCookie(secure: boolean): string {
  return `${MARKER_COOKIE}=; Max-Age=0; ${ATTRIBUTES}${secure ? '; Secure' : ''}`;
}

/** Whether a response's Set-Cookie (one value or a list) already sets or expires the marker: a second middleware on the request adds none. */
export function carriesMarker(setCookie: unknown): boolean {
  const values = Array.isArray(setCookie) ? setCookie : [setCookie];
  return values.some((value) => typeof value === 'string' && value.startsWith(`${MARKER_COOKIE}=`));
}
