// The logout marker cookie: its value, the steps it decides from any Cookie header, and why a planted or malformed one makes at most one reset.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  anonymousMarkerStep,
  carriesMarker,
  identifiedMarkerStep,
  isMarkerValue,
  markerCookieName,
  mayHoldMarker,
  readMarkers,
  resetMarkerCookie,
  setMarkerCookie,
} from '../../src/http/logout-marker.js';
import { markerValue } from '../../src/tokens/visitor.js';

const ADA = markerValue('pat-test', 'ada@example.com');
const BOB = markerValue('pat-test', 'bob@example.com');
// What a sibling subdomain plants for the parent domain: well-formed, but no visitor's.
const PLANTED = 'PLANTEDplantedPLANTED0';

/** The Cookie header pair a browser sends back for a Set-Cookie value. */
const pairOf = (setCookie: string) => setCookie.slice(0, setCookie.indexOf(';'));

/**
 * A browser's cookie jar for this host over http, reduced to what matters: the host-only `hsi_v`
 * (which our Set-Cookie replaces) and cookies planted for the parent domain (which it cannot touch),
 * sent host-only first as they were created first.
 */
class Jar {
  hostOnly: string | undefined;
  parent: string[] = [];
  constructor(readonly secure = false) {}
  header(): string {
    const name = markerCookieName(this.secure);
    return [
      'sid=1',
      ...(this.hostOnly === undefined ? [] : [`${name}=${this.hostOnly}`]),
      ...this.parent.map((value) => `${name}=${value}`),
      'theme=dark',
    ].join('; ');
  }
  receive(setCookie: string): void {
    const value = pairOf(setCookie).split('=')[1]!;
    this.hostOnly = / Max-Age=0;/.test(setCookie) ? undefined : value;
  }
}

/** What a page does with the marker, as the lead's wiring will: the identified step, or the anonymous one. Returns whether it reset the widget. */
function identifiedPage(jar: Jar, value: string): boolean {
  const step = identifiedMarkerStep(jar.header(), jar.secure, value);
  if (step !== 'keep') jar.receive(setMarkerCookie(value, jar.secure));
  return step === 'reset-then-set';
}
function anonymousPage(jar: Jar, namedValue?: string): boolean {
  const state = readMarkers(jar.header(), jar.secure);
  if (anonymousMarkerStep(state, namedValue) === 'keep') return false;
  jar.receive(resetMarkerCookie(state, jar.secure));
  return true;
}
const resetsOver = (pages: number, page: () => boolean) => Array.from({ length: pages }, page).filter(Boolean).length;

describe('markerValue', () => {
  it('is 22 URL-safe characters, the same on every server sharing the access token', () => {
    expect(ADA).toMatch(/^[\w-]{22}$/);
    expect(isMarkerValue(ADA)).toBe(true);
    expect(markerValue('pat-test', 'ada@example.com')).toBe(ADA);
  });

  it('follows the cache key: trimmed, ASCII letters lower-cased, never Unicode case folding', () => {
    expect(markerValue('pat-test', '  Ada@EXAMPLE.com ')).toBe(ADA);
    expect(markerValue('pat-test', '\u212Aate@x.io')).not.toBe(markerValue('pat-test', 'kate@x.io'));
  });

  it('differs by visitor and by account, and is not a plain hash of the email', () => {
    expect(BOB).not.toBe(ADA);
    expect(markerValue('pat-other', 'ada@example.com')).not.toBe(ADA);
    for (const algorithm of ['sha256', 'sha1', 'md5']) {
      expect(createHash(algorithm).update('ada@example.com').digest('base64url')).not.toContain(ADA);
    }
  });
});

describe('the cookie name', () => {
  it('is __Host- prefixed over https, plain over http', () => {
    expect(markerCookieName(true)).toBe('__Host-hsi_v');
    expect(markerCookieName(false)).toBe('hsi_v');
  });

  it("reads only the request's scheme's name", () => {
    expect(readMarkers(`hsi_v=${ADA}`, true).uncovered).toEqual([]);
    expect(readMarkers(`__Host-hsi_v=${ADA}`, false).uncovered).toEqual([]);
    expect(readMarkers(`__Host-hsi_v=${ADA}`, true).uncovered).toEqual([ADA]);
    expect(identifiedMarkerStep(`hsi_v=${ADA}`, true, ADA)).toBe('set');
    expect(identifiedMarkerStep(`hsi_v=${ADA}; __Host-hsi_v=${ADA}`, true, ADA)).toBe('keep');
  });
});

describe('readMarkers', () => {
  it.each([
    [`hsi_v=${ADA}`, [ADA]],
    [`a=1; hsi_v=${ADA}; b=2`, [ADA]],
    [`a=1;hsi_v=${ADA}`, [ADA]],
    [`a=1;   hsi_v = ${ADA} ;b=2`, [ADA]],
    [`hsi_v="${ADA}"`, [ADA]],
    [`xhsi_v=${BOB}; hsi_v=${ADA}`, [ADA]],
    [`hsi_vx=${BOB}; a=hsi_v=${BOB}; hsi_v=${ADA}`, [ADA]],
    [`hsi_v=${ADA}; hsi_v=${BOB}; hsi_v=${ADA}`, [ADA, BOB]],
    [`hsi_v=garbage; hsi_v=${ADA}`, [ADA]],
  ])('finds every well-formed marker in %j', (header, uncovered) => {
    expect(readMarkers(header, false).uncovered).toEqual(uncovered);
  });

  it.each([
    [undefined],
    [null],
    [42],
    [[`hsi_v=${ADA}`]],
    [''],
    ['a=1'],
    ['hsi_v='],
    ['hsi_v=""'],
    [`xhsi_v=${ADA}`],
    ['hsi_v'],
    [`a=hsi_v=${ADA}`],
    ['hsi_v=abc'],
    [`hsi_v=${ADA}x`],
    [`hsi_v=${ADA.slice(1)}`],
    [`hsi_v=${ADA.slice(1)}+`],
    ['hsi_v=~'],
    ['hsi_v=~short'],
  ])('finds none in %j', (header) => {
    expect(readMarkers(header, false).uncovered).toEqual([]);
    expect(anonymousMarkerStep(readMarkers(header, false))).toBe('keep');
  });

  it('does not count a marker a tombstone in the same header covers, wherever the tombstone sits', () => {
    const tombstone = `~${ADA.slice(0, 8)}.${PLANTED.slice(0, 8)}`;
    expect(readMarkers(`hsi_v=${tombstone}; hsi_v=${ADA}; hsi_v=${BOB}`, false).uncovered).toEqual([BOB]);
    expect(readMarkers(`hsi_v=${PLANTED}; hsi_v="${tombstone}"`, false).uncovered).toEqual([]);
  });

  it('ignores a malformed tombstone', () => {
    expect(readMarkers(`hsi_v=~${ADA.slice(0, 7)}; hsi_v=${ADA}`, false).uncovered).toEqual([ADA]);
    expect(readMarkers(`hsi_v=~${ADA.slice(0, 8)}.; hsi_v=${ADA}`, false).uncovered).toEqual([ADA]);
  });

  it('covers, on reset, every marker present and what the tombstones present covered, at most 32', () => {
    const state = readMarkers(`hsi_v=~AAAAAAAA.BBBBBBBB; hsi_v=${ADA}; hsi_v=${PLANTED}`, false);
    expect(state.cover).toEqual([ADA.slice(0, 8), PLANTED.slice(0, 8), 'AAAAAAAA', 'BBBBBBBB']);
    const many = Array.from({ length: 40 }, (_, i) => `hsi_v=${String(i).padStart(2, '0')}${'x'.repeat(20)}`).join('; ');
    expect(readMarkers(many, false).cover).toHaveLength(32);
  });
});

describe('identifiedMarkerStep', () => {
  it.each([
    ['no cookie header', undefined, 'set'],
    ['no marker', 'a=1; b=2', 'set'],
    ['its own marker', `a=1; hsi_v=${ADA}; b=2`, 'keep'],
    ['its own marker, quoted and spaced', `hsi_v = "${ADA}" ; b=2`, 'keep'],
    ['its own marker beside a planted one', `hsi_v=${ADA}; hsi_v=${PLANTED}`, 'keep'],
    ['its own marker after a planted one', `hsi_v=${PLANTED}; hsi_v=${ADA}`, 'keep'],
    ["someone else's marker", `hsi_v=${BOB}`, 'reset-then-set'],
    ['a longer value starting with its marker', `hsi_v=${ADA}x`, 'set'],
    ['a malformed marker only', 'hsi_v=somebody', 'set'],
    ['a tombstone covering someone else', `hsi_v=~${BOB.slice(0, 8)}`, 'set'],
    ['a tombstone covering a planted marker', `hsi_v=~${PLANTED.slice(0, 8)}; hsi_v=${PLANTED}`, 'set'],
    ['its own marker covered by a tombstone (logged out since)', `hsi_v=~${ADA.slice(0, 8)}; hsi_v=${ADA}`, 'set'],
    ['an uncovered planted marker only', `hsi_v=${PLANTED}`, 'reset-then-set'],
  ])('%s → %s', (_name, header, step) => {
    expect(identifiedMarkerStep(header, false, ADA)).toBe(step);
  });
});

describe('anonymousMarkerStep', () => {
  it('resets when an uncovered marker is there, keeps otherwise', () => {
    expect(anonymousMarkerStep(readMarkers(`hsi_v=${ADA}`, false))).toBe('reset');
    expect(anonymousMarkerStep(readMarkers('a=1', false))).toBe('keep');
    expect(anonymousMarkerStep(readMarkers(`hsi_v=~${ADA.slice(0, 8)}`, false))).toBe('keep');
  });

  it('keeps for a named visitor without a token whose own marker is there, beside a planted one; resets for another visitor', () => {
    expect(anonymousMarkerStep(readMarkers(`hsi_v=${ADA}`, false), ADA)).toBe('keep');
    expect(anonymousMarkerStep(readMarkers(`hsi_v=${PLANTED}; hsi_v=${ADA}`, false), ADA)).toBe('keep');
    expect(anonymousMarkerStep(readMarkers(`hsi_v=${BOB}`, false), ADA)).toBe('reset');
  });
});

describe('a planted or malformed marker makes at most one reset', () => {
  it('a parent-domain marker a sibling planted resets one anonymous page, not every one', () => {
    const jar = new Jar();
    jar.parent.push(PLANTED);
    expect(resetsOver(6, () => anonymousPage(jar))).toBe(1);
    expect(jar.hostOnly).toBe(`~${PLANTED.slice(0, 8)}`);
  });

  it('a logged-in visitor with a planted marker beside: logout resets once, the pages after do not', () => {
    const jar = new Jar();
    expect(identifiedPage(jar, ADA)).toBe(false);
    jar.parent.push(PLANTED);
    expect(resetsOver(3, () => identifiedPage(jar, ADA))).toBe(0);
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(1);
  });

  it('a planted marker on a fresh browser makes one reset before the first identification, then none', () => {
    const jar = new Jar();
    jar.parent.push(PLANTED);
    expect(identifiedPage(jar, ADA)).toBe(true);
    expect(resetsOver(3, () => identifiedPage(jar, ADA))).toBe(0);
    expect(anonymousPage(jar)).toBe(true);
    expect(identifiedPage(jar, ADA)).toBe(false);
  });

  it('a new login after a tombstone sets the marker without a reset, and its logout resets again', () => {
    const jar = new Jar();
    identifiedPage(jar, ADA);
    jar.parent.push(PLANTED);
    expect(anonymousPage(jar)).toBe(true);
    expect(identifiedPage(jar, BOB)).toBe(false);
    expect(jar.hostOnly).toBe(BOB);
    expect(identifiedPage(jar, BOB)).toBe(false);
    expect(resetsOver(3, () => anonymousPage(jar))).toBe(1);
  });

  it('A then B then logout, with a planted marker: B resets A once, logout resets B once', () => {
    const jar = new Jar();
    jar.parent.push(PLANTED);
    identifiedPage(jar, ADA);
    expect(identifiedPage(jar, BOB)).toBe(true);
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(1);
  });

  it('several planted values, at once or one after another: at most one reset each', () => {
    const jar = new Jar();
    jar.parent.push(PLANTED, 'anotherPlantedValue000');
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(1);
    jar.parent.push('aThirdPlantedValue0000');
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(1);
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(0);
  });

  it('planted values on different paths do not reset in turns: the tombstone keeps what earlier ones covered', () => {
    const jar = new Jar();
    const onPathX = 'xPlantedOnPathX0000000';
    const onPathY = 'yPlantedOnPathY0000000';
    // The browser sends each only on its own path; the host-only tombstone (Path=/) goes everywhere.
    const pageOn = (planted: string) => () => {
      jar.parent = [planted];
      return anonymousPage(jar);
    };
    expect(resetsOver(1, pageOn(onPathX)) + resetsOver(1, pageOn(onPathY))).toBe(2);
    expect(resetsOver(3, pageOn(onPathX)) + resetsOver(3, pageOn(onPathY))).toBe(0);
  });

  it('a malformed value, planted or not, never resets', () => {
    for (const value of ['anything', '', '"', `${ADA}!`, 'x'.repeat(5000), '~', '~!!!!!!!!']) {
      const jar = new Jar();
      jar.parent.push(value);
      expect(resetsOver(3, () => anonymousPage(jar))).toBe(0);
      expect(identifiedPage(jar, ADA)).toBe(false);
    }
  });

  it('a tombstone planted by an attacker does not suppress the reset of a real marker it does not cover', () => {
    const jar = new Jar();
    identifiedPage(jar, ADA);
    jar.parent.push(`~${PLANTED.slice(0, 8)}.AAAAAAAA.${BOB.slice(0, 8)}`);
    expect(anonymousPage(jar)).toBe(true);
  });

  it('over https the same holds under the __Host- name', () => {
    const jar = new Jar(true);
    identifiedPage(jar, ADA);
    expect(jar.header()).toContain(`__Host-hsi_v=${ADA}`);
    jar.parent.push(PLANTED);
    expect(resetsOver(4, () => anonymousPage(jar))).toBe(1);
    expect(jar.hostOnly).toMatch(/^~/);
  });
});

describe('Set-Cookie values', () => {
  it('set the marker for 13 months, HttpOnly, SameSite=Lax, host-only on the whole site; __Host- and Secure over https', () => {
    expect(setMarkerCookie(ADA, false)).toBe(`hsi_v=${ADA}; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax`);
    expect(setMarkerCookie(ADA, true)).toBe(`__Host-hsi_v=${ADA}; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax; Secure`);
  });

  it('reset it to a tombstone as long-lived, covering what the request carried', () => {
    const state = readMarkers(`hsi_v=${ADA}; hsi_v=${PLANTED}`, false);
    expect(resetMarkerCookie(state, false)).toBe(
      `hsi_v=~${ADA.slice(0, 8)}.${PLANTED.slice(0, 8)}; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax`,
    );
    const secure = readMarkers(`__Host-hsi_v=${ADA}`, true);
    expect(resetMarkerCookie(secure, true)).toBe(
      `__Host-hsi_v=~${ADA.slice(0, 8)}; Max-Age=34128000; Path=/; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(resetMarkerCookie(readMarkers('', false), false)).toBe('hsi_v=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
  });

  it('a tombstone is never read as a marker', () => {
    const tombstone = pairOf(resetMarkerCookie(readMarkers(`hsi_v=${ADA}`, false), false)).slice('hsi_v='.length);
    expect(isMarkerValue(tombstone)).toBe(false);
  });

  it("carriesMarker sees a set or reset marker of either name among the app's cookies", () => {
    expect(carriesMarker(['a=1', setMarkerCookie(ADA, false)])).toBe(true);
    expect(carriesMarker(setMarkerCookie(ADA, true))).toBe(true);
    expect(carriesMarker(resetMarkerCookie(readMarkers(`hsi_v=${ADA}`, false), false))).toBe(true);
    expect(carriesMarker(['a=1', 'xhsi_v=1'])).toBe(false);
    expect(carriesMarker(undefined)).toBe(false);
  });
});

describe('mayHoldMarker', () => {
  it('answers false for requests without one, true for either name', () => {
    expect(mayHoldMarker('a=1; b=2')).toBe(false);
    expect(mayHoldMarker(undefined)).toBe(false);
    expect(mayHoldMarker(`hsi_v=${ADA}`)).toBe(true);
    expect(mayHoldMarker(`__Host-hsi_v=${ADA}`)).toBe(true);
  });
});

describe('the usual identified page', () => {
  /** Bytes allocated by `calls` calls, at best of three tries, after a warm-up (a GC in the middle only lowers the figure). */
  function allocated(call: () => unknown, calls = 100_000): number {
    for (let i = 0; i < 10_000; i++) call();
    let least = Infinity;
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < calls; i++) call();
      least = Math.min(least, process.memoryUsage().heapUsed - before);
    }
    return least;
  }

  it('decides keep without allocating: its cookie holds exactly its own marker', () => {
    const header = `_ga=GA1.2.3; sid=s%3Aabcdef; hsi_v=${ADA}; theme=dark`;
    expect(identifiedMarkerStep(header, false, ADA)).toBe('keep');
    // A string or array per call would be several MB over 100,000 calls.
    expect(allocated(() => identifiedMarkerStep(header, false, ADA))).toBeLessThan(256 * 1024);
  });
});
