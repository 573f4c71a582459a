// Where tokens are cached and refreshed: the rules below, over any TokenStore.
//
// Refresh rules (age = now - createdAt; a createdAt up to CLOCK_SKEW in the future counts as age 0,
// so servers whose clocks differ by a second neither re-mint nor refuse each other's tokens)
// - MUST refresh: a token of age maxAge or more is never served. The caller waits for a new one, but
//   never longer than `timeout`; then the page renders anonymous.
// - SHOULD refresh: a token older than refreshAfter is still served, and one refresh starts in the
//   background, unless HubSpot said its calls are running low (under 10% left) or paused.
// - A token is served only to the visitor it was minted for: the entry records a hash of them.
// - One call in flight per account and visitor in this process: concurrent callers share it. With a
//   store that can lock (RedisTokenStore) it is one per fleet: the server holding the lock re-reads
//   the store before it calls HubSpot (a peer may have written and unlocked meanwhile); the others
//   poll the store for its token, and take the lock over once it expires (the holder died). The lock
//   outlives the HubSpot call's own limit plus the store's reads and writes, and each acquisition
//   has its own owner, so a late unlock never frees a peer's lock.
// - A call that outlives the caller's `timeout` still completes, and its token is cached.
// - A failed call clears itself, so the next page view tries again, except: 401/403 stop calls for
//   refusedPause; 429 TEN_SECONDLY_ROLLING for HubSpot's window (Retry-After when sent); 429 DAILY
//   for an hour at a time, one probe per hour, until a call succeeds (cached tokens are served
//   meanwhile, never past maxAge); a 400 (HubSpot rejects the email) is remembered for that visitor
//   for REJECTED_FOR.
// - Every store call is bounded by `timeout`. A store that throws, rejects or hangs is replaced by
//   the in-memory store until it answers again (said once).
// - forget() drops the visitor's entry everywhere this server can, and what it remembers of them.
// - Every decision about time reads the injected clock (`now`); only sleeping uses real timers.
// - A hit in memory computes no hash: each visitor's keys are remembered, as many as the cache holds.
import type { LRUCache } from 'lru-cache';
import { HubSpotIdentifyError, isHubSpotIdentifyError } from '../errors.js';
import type { Report } from '../report.js';
import { bounded, LATE, sleep, within } from '../timers.js';
import type { Minted } from './hubspot-api.js';
import { markSource, noteMint, type SourceMark } from './per-request-check.js';
import { growingLru, MemoryTokenStore, type LockHandle, type StoredToken, type TokenStore } from './store.js';
import { visitorKeys, type Visitor, type VisitorKeys } from './visitor.js';

export interface TokenSourceOptions {
  store?: TokenStore;
  mint: (accessToken: string, visitor: Visitor) => Promise<Minted>;
  now: () => number;
  maxAge: number;
  refreshAfter: number;
  max: number;
  /** Most time a page waits, and the bound of every store call. */
  timeout: number;
  /** Most time one HubSpot call takes before it is abandoned. */
  callLimit: number;
  refusedPause: number;
  /** Where failures go (onError and the logger). */
  report: Report;
  /** Where advice goes that is no failure of a page (the logger alone): identifiers created per request. Default: `report`. */
  warn?: Report;
}

/** How far in the future a peer's createdAt may be and still count as just made. */
export const CLOCK_SKEW = 2_000;
/** How long a visitor whose email HubSpot rejected (400) is not sent again. */
export const REJECTED_FOR = 60 * 60 * 1000;
const LOCK_POLL_MS = 50;
/** While the shared store fails: how often it is tried again. */
const STORE_RETRY_MS = 2_000;

/** One visitor of one account, as the source works with it. */
interface Wanted extends VisitorKeys {
  account: string;
  accessToken: string;
  visitor: Visitor;
}

/** A visitor's keys as remembered under their email, with the account they were worked out for. */
interface KnownKeys extends VisitorKeys {
  readonly account: string;
}

interface Flight {
  promise: Promise<StoredToken | null>;
  /** Set by forget(): the token is not written. */
  cancelled: boolean;
}

/** Per account: until when calls stop (and, for DAILY, how long each probe re-arms), until when refreshes wait. */
interface AccountState {
  pausedUntil?: number;
  rearmMs?: number;
  lowUntil?: number;
}

export class TokenSource {
  readonly #options: TokenSourceOptions;
  readonly #memory: MemoryTokenStore;
  readonly #store: TokenStore;
  readonly #lockTtl: number;
  readonly #inFlight = new Map<string, Flight>();
  readonly #accounts = new Map<string, AccountState>();
  /** Visitors HubSpot rejected (400), until when; made with the first one. */
  #rejected: LRUCache<string, number> | undefined;
  /** Each visitor's keys by email, so that a hit hashes nothing; as many as the cache holds, the oldest dropped first. */
  readonly #keys = new Map<string, KnownKeys>();
  /** While the shared store fails: when to try it again. */
  #storeRetryAt: number | undefined;
  readonly #mark: SourceMark = markSource();

  constructor(options: TokenSourceOptions) {
    this.#options = options;
    this.#memory = new MemoryTokenStore({ max: options.max });
    this.#store = options.store ?? this.#memory;
    // Outlives the lock's own taking, the re-read, the HubSpot call and the write, each bounded.
    this.#lockTtl = options.callLimit + 3 * options.timeout + 1_000;
  }

  /**
   * The visitor's entry, or null when none can be had within `timeout`. Never rejects. A fresh token
   * in memory comes back synchronously: that is every cache hit without a shared store.
   */
  get(
    account: string,
    accessToken: string,
    visitor: Visitor,
    waitMs = this.#options.timeout,
  ): StoredToken | null | Promise<StoredToken | null> {
    const keys = this.#keysOf(account, visitor.email);
    if (!this.#useStore()) {
      const served = this.#serve(this.#memory.get(keys.key), keys, accessToken, visitor);
      if (served) return served;
      const pending = this.#obtain({ account, accessToken, visitor, key: keys.key, owner: keys.owner });
      return pending && this.#wait(pending, waitMs);
    }
    const wanted: Wanted = { account, accessToken, visitor, key: keys.key, owner: keys.owner };
    return this.#wait(
      this.#read(wanted.key).then((entry) => this.#serve(entry, keys, accessToken, visitor) ?? this.#obtain(wanted)),
      waitMs,
    );
  }

  /** Drops the visitor's token from memory and the store, and what is remembered or in flight for them. */
  async forget(account: string, email: string): Promise<void> {
    const { key } = this.#keysOf(account, email);
    const flight = this.#inFlight.get(key);
    if (flight) {
      flight.cancelled = true;
      this.#inFlight.delete(key);
    }
    this.#rejected?.delete(key);
    this.#memory.delete(key);
    if (this.#store === this.#memory || typeof this.#store.delete !== 'function') return;
    try {
      await this.#bounded(() => this.#store.delete(key));
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  /** The visitor's keys, hashed once per email and account while the email is among the last `max` ones hashed. */
  #keysOf(account: string, email: string): KnownKeys {
    const known = this.#keys.get(email);
    if (known !== undefined && known.account === account) return known;
    const { key, owner } = visitorKeys(account, email);
    const keys: KnownKeys = { account, key, owner };
    if (known === undefined && this.#keys.size >= this.#options.max) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(email, keys);
    return keys;
  }

  /** The entry if it may be served to this visitor (starting a refresh when it should be); else undefined. */
  #serve(entry: StoredToken | undefined, keys: KnownKeys, accessToken: string, visitor: Visitor): StoredToken | undefined {
    if (!entry || entry.owner !== keys.owner) return undefined;
    const age = this.#age(entry);
    if (age === undefined || age >= this.#options.maxAge) return undefined;
    if (age >= this.#options.refreshAfter)
      void this.#mintShared({ account: keys.account, accessToken, visitor, key: keys.key, owner: keys.owner }, true);
    return entry;
  }

  /** The entry's age on this clock, with a peer's slightly-ahead clock forgiven; undefined if implausible. */
  #age(entry: StoredToken): number | undefined {
    const age = this.#options.now() - entry.createdAt;
    return age >= -CLOCK_SKEW ? Math.max(0, age) : undefined;
  }

  /** Fresh: made for this visitor and not yet due for a refresh, so nobody needs to call HubSpot. */
  #fresh(entry: StoredToken | undefined, owner: string): entry is StoredToken {
    if (!entry || entry.owner !== owner) return false;
    const age = this.#age(entry);
    return age !== undefined && age < this.#options.refreshAfter;
  }

  /** A new token for a page that has none to serve, unless HubSpot rejected this visitor lately. */
  #obtain(wanted: Wanted): null | Promise<StoredToken | null> {
    const until = this.#rejected?.get(wanted.key);
    if (until !== undefined) {
      if (this.#options.now() < until) return null;
      this.#rejected!.delete(wanted.key);
    }
    return this.#mintShared(wanted, false);
  }

  /** The page's side of a pending token: whatever it is after `waitMs` (what is left of `timeout`), null if nothing yet. */
  #wait(pending: Promise<StoredToken | null>, waitMs: number): Promise<StoredToken | null> {
    return within(pending, waitMs).then((entry) => {
      if (entry !== LATE) return entry;
      this.#options.report(
        new HubSpotIdentifyError(
          'HSI_TIMEOUT',
          `HubSpot (or the token store) did not answer within timeout (${this.#options.timeout} ms), so the page rendered anonymous; a late token is still cached for the next page.`,
        ),
      );
      return null;
    });
  }

  #mintShared(wanted: Wanted, background: boolean): Promise<StoredToken | null> {
    const running = this.#inFlight.get(wanted.key);
    if (running) return running.promise;
    if (!this.#mayCall(wanted.account, background)) return Promise.resolve(null);
    const flight: Flight = { promise: undefined as unknown as Promise<StoredToken | null>, cancelled: false };
    flight.promise = this.#mint(wanted, background, flight).finally(() => {
      if (this.#inFlight.get(wanted.key) === flight) this.#inFlight.delete(wanted.key);
    });
    this.#inFlight.set(wanted.key, flight);
    return flight.promise;
  }

  /** Whether HubSpot may be called for this account now; after a DAILY pause, the first caller probes. */
  #mayCall(account: string, background: boolean): boolean {
    const state = this.#accounts.get(account);
    if (!state) return true;
    const now = this.#options.now();
    if (background && state.lowUntil !== undefined && now < state.lowUntil) return false;
    if (state.pausedUntil === undefined) return true;
    if (now < state.pausedUntil) return false;
    if (state.rearmMs === undefined) delete state.pausedUntil;
    else state.pausedUntil = now + state.rearmMs;
    return true;
  }

  async #mint(wanted: Wanted, background: boolean, flight: Flight): Promise<StoredToken | null> {
    const { now, report } = this.#options;
    const { key, owner } = wanted;
    let lock = await this.#lock(key);
    try {
      if (lock === 'peer') {
        // A peer is minting: a background refresh leaves it to them; a page waits for their token,
        // and takes over once their lock expires without one (the peer died).
        if (background) return null;
        const waited = await this.#awaitPeer(key, owner);
        if (!('lock' in waited)) return waited.entry;
        lock = waited.lock;
      }
      // A peer may have written and unlocked since this server last looked.
      const current = await this.#read(key);
      if (this.#fresh(current, owner)) return current;
      const minted = await this.#bounded(
        () => this.#options.mint(wanted.accessToken, wanted.visitor),
        this.#options.callLimit,
        () =>
          new HubSpotIdentifyError('HSI_TIMEOUT', `HubSpot did not answer within ${this.#options.callLimit} ms; the call was abandoned.`),
      );
      this.#succeeded(wanted.account, minted.lowBudgetMs);
      const entry: StoredToken = { token: minted.token, createdAt: now(), owner };
      noteMint(this.#mark, key, entry.createdAt, this.#options.refreshAfter, this.#options.warn ?? report);
      if (!flight.cancelled) await this.#write(key, entry);
      return entry;
    } catch (error) {
      const failure = isHubSpotIdentifyError(error)
        ? error
        : new HubSpotIdentifyError('HSI_HUBSPOT_ERROR', `Minting failed unexpectedly: ${(error as Error)?.message}`, { cause: error });
      this.#failed(wanted, failure);
      report(failure);
      return null;
    } finally {
      if (typeof lock === 'object') void this.#unlock(lock);
    }
  }

  #succeeded(account: string, lowBudgetMs: number | undefined): void {
    if (lowBudgetMs === undefined) {
      this.#accounts.delete(account);
      return;
    }
    this.#accounts.set(account, { lowUntil: this.#options.now() + lowBudgetMs });
  }

  #failed(wanted: Wanted, error: HubSpotIdentifyError): void {
    const { now, refusedPause } = this.#options;
    const state = this.#accounts.get(wanted.account) ?? {};
    switch (error.code) {
      case 'HSI_UNAUTHORIZED':
      case 'HSI_FORBIDDEN':
        this.#accounts.set(wanted.account, { ...state, pausedUntil: now() + refusedPause, rearmMs: undefined });
        return;
      case 'HSI_RATE_LIMITED': {
        const wait = error.retryAfterMs ?? 0;
        this.#accounts.set(wanted.account, {
          ...state,
          pausedUntil: now() + wait,
          rearmMs: error.policyName === 'DAILY' ? wait : undefined,
        });
        return;
      }
      case 'HSI_VISITOR_REJECTED':
        this.#rejected ??= growingLru(this.#options.max);
        this.#rejected.set(wanted.key, now() + REJECTED_FOR);
        return;
      default:
    }
  }

  /**
   * Polls the shared store while a peer mints: its entry, or the lock once the peer's lock is gone.
   * Gives up after the lock's lifetime on the injected clock, and after as many polls as fit in it
   * whatever that clock says (a test's clock may stand still).
   */
  async #awaitPeer(key: string, owner: string): Promise<{ entry: StoredToken } | { lock: LockHandle | 'none' }> {
    const { now } = this.#options;
    const giveUpAt = now() + this.#lockTtl;
    for (let polls = Math.ceil(this.#lockTtl / LOCK_POLL_MS); polls > 0 && now() < giveUpAt; polls--) {
      await sleep(LOCK_POLL_MS);
      const entry = await this.#read(key);
      if (this.#fresh(entry, owner)) return { entry };
      const lock = await this.#lock(key);
      if (lock !== 'peer') return { lock };
    }
    return { lock: 'none' };
  }

  /** A store or HubSpot call that settles within `ms`, or rejects: hangs and synchronous throws included. */
  #bounded<T>(
    call: () => T | Promise<T>,
    ms = this.#options.timeout,
    error = () => new Error(`it did not answer within ${ms} ms`),
  ): Promise<T> {
    return bounded(call, ms, error);
  }

  // Store access: a store that fails is swapped for memory and said once; it is tried again after STORE_RETRY_MS.
  async #read(key: string): Promise<StoredToken | undefined> {
    if (!this.#useStore()) return this.#memory.get(key);
    try {
      const entry = await this.#bounded(() => this.#store.get(key));
      this.#storeUp();
      return entry ?? undefined;
    } catch (error) {
      this.#storeFailed(error);
      return this.#memory.get(key);
    }
  }

  async #write(key: string, entry: StoredToken): Promise<void> {
    const ttl = this.#options.maxAge + CLOCK_SKEW;
    this.#memory.set(key, entry, ttl);
    if (!this.#useStore()) return;
    try {
      await this.#bounded(() => this.#store.set(key, entry, ttl));
      this.#storeUp();
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  async #lock(key: string): Promise<LockHandle | 'peer' | 'none'> {
    if (!this.#store.lock || !this.#useStore()) return 'none';
    try {
      return (await this.#bounded(() => this.#store.lock!(key, this.#lockTtl))) ?? 'peer';
    } catch (error) {
      this.#storeFailed(error);
      return 'none';
    }
  }

  async #unlock(handle: LockHandle): Promise<void> {
    try {
      await this.#bounded(() => this.#store.unlock?.(handle));
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  #useStore(): boolean {
    if (this.#store === this.#memory) return false;
    return this.#storeRetryAt === undefined || this.#options.now() >= this.#storeRetryAt;
  }

  #storeUp(): void {
    this.#storeRetryAt = undefined;
  }

  #storeFailed(error: unknown): void {
    if (this.#storeRetryAt === undefined) {
      this.#options.report(
        new HubSpotIdentifyError(
          'HSI_STORE_UNAVAILABLE',
          `The token store failed (${(error as Error)?.message ?? String(error)}); tokens are kept in memory until it answers again. Check the store's connection.`,
          { cause: error },
        ),
      );
    }
    this.#storeRetryAt = this.#options.now() + STORE_RETRY_MS;
  }
}
