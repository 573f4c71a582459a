// Where tokens are cached and refreshed: the rules below, over any TokenStore.
//
// Refresh rules
// - MUST refresh: a token older than cache.maxAge is never served. The caller waits for a new one,
//   but never longer than `timeout`; then the page renders anonymous.
// - SHOULD refresh: a token older than cache.refreshAfter is still served, and one refresh starts
//   in the background.
// - One call in flight per account and visitor in this process: concurrent callers share it. A store
//   that can lock (RedisTokenStore) extends that to a fleet: the server holding the lock mints, the
//   others read its token from the store, and mint themselves if the lock holder dies.
// - A call that outlives the caller's `timeout` still completes, and its token is cached.
// - A failed call clears itself, so the next page view tries again, except after 401/403 (calls
//   stop for DEFAULTS.refusedPause) and 429 (calls stop for the wait HubSpot asks).
// - A store that fails (Redis down) is replaced by the in-memory store until it answers again.
import { HubSpotIdentifyError, isHubSpotIdentifyError } from '../errors.js';
import type { Visitor } from '../options.js';
import type { Report } from '../report.js';
import { MemoryTokenStore, type StoredToken, type TokenStore } from './store.js';

export interface TokenSourceOptions {
  store?: TokenStore;
  mint: (accessToken: string, visitor: Visitor) => Promise<string>;
  now: () => number;
  maxAge: number;
  refreshAfter: number;
  max: number;
  timeout: number;
  refusedPause: number;
  /** How long a lock on a shared store lasts: a peer that has not minted by then is taken to be dead. */
  lockTtl: number;
  report: Report;
}

const LOCK_POLL_MS = 50;
/** While the store is failing, how often it is tried again. */
const STORE_RETRY_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class TokenSource {
  readonly #options: TokenSourceOptions;
  readonly #memory: MemoryTokenStore;
  readonly #store: TokenStore;
  readonly #lockTtl: number;
  readonly #inFlight = new Map<string, Promise<string | null>>();
  /** Per account: until when calls are stopped, and why. */
  readonly #paused = new Map<string, number>();
  /** While the shared store fails: when to try it again. */
  #storeRetryAt: number | undefined;

  constructor(options: TokenSourceOptions) {
    this.#options = options;
    this.#memory = new MemoryTokenStore({ max: options.max });
    this.#store = options.store ?? this.#memory;
    this.#lockTtl = options.lockTtl;
  }

  /**
   * The visitor's token, or null when none can be had within `timeout`. Never rejects. A fresh token
   * in memory comes back synchronously: that is every cache hit without a shared store.
   */
  get(account: string, accessToken: string, visitor: Visitor, key: string): string | null | Promise<string | null> {
    if (!this.#useStore()) {
      const served = this.#serve(this.#memory.get(key), account, accessToken, visitor, key);
      return served ?? this.#withTimeout(this.#mintShared(account, accessToken, visitor, key, false));
    }
    return this.#read(key).then((entry) =>
      this.#serve(entry, account, accessToken, visitor, key) ?? this.#withTimeout(this.#mintShared(account, accessToken, visitor, key, false)));
  }

  /** The entry's token if it may still be served (starting a refresh when it should be); else undefined. */
  #serve(entry: StoredToken | undefined, account: string, accessToken: string, visitor: Visitor, key: string): string | undefined {
    if (!entry) return undefined;
    const age = this.#options.now() - entry.createdAt;
    if (age < 0 || age >= this.#options.maxAge) return undefined;
    if (age >= this.#options.refreshAfter) void this.#mintShared(account, accessToken, visitor, key, true);
    return entry.token;
  }

  #withTimeout(pending: Promise<string | null>): Promise<string | null> {
    const { timeout, report } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        report(new HubSpotIdentifyError('HSI_TIMEOUT', `HubSpot did not answer within timeout (${timeout} ms); the page rendered anonymous and the token will be cached when it arrives.`));
        resolve(null);
      }, timeout);
      timer.unref();
    });
    return Promise.race([pending, expired]).finally(() => clearTimeout(timer));
  }

  #mintShared(account: string, accessToken: string, visitor: Visitor, key: string, background: boolean): Promise<string | null> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const pausedUntil = this.#paused.get(account);
    if (pausedUntil !== undefined) {
      if (this.#options.now() < pausedUntil) return Promise.resolve(null);
      this.#paused.delete(account);
    }
    const call = this.#mint(account, accessToken, visitor, key, background).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, call);
    return call;
  }

  async #mint(account: string, accessToken: string, visitor: Visitor, key: string, background: boolean): Promise<string | null> {
    const { now, maxAge, report } = this.#options;
    let lock = await this.#lock(key);
    try {
      if (lock === 'peer') {
        // A peer is minting: a background refresh leaves it to them; a page waits for their token,
        // and takes over once their lock expires without one (the peer died).
        if (background) return null;
        const waited = await this.#awaitPeer(key);
        if ('token' in waited) return waited.token;
        lock = waited.lock;
      }
      const token = await this.#options.mint(accessToken, visitor);
      const entry: StoredToken = { token, createdAt: now() };
      await this.#write(key, entry, maxAge);
      return token;
    } catch (error) {
      const failure = isHubSpotIdentifyError(error)
        ? error
        : new HubSpotIdentifyError('HSI_HUBSPOT_ERROR', `Minting failed unexpectedly: ${(error as Error)?.message}`, { cause: error });
      this.#pauseAfter(account, failure);
      report(failure);
      return null;
    } finally {
      if (lock === 'held') void this.#unlock(key);
    }
  }

  #pauseAfter(account: string, error: HubSpotIdentifyError): void {
    const { now, refusedPause } = this.#options;
    if (error.code === 'HSI_UNAUTHORIZED' || error.code === 'HSI_FORBIDDEN') this.#paused.set(account, now() + refusedPause);
    if (error.code === 'HSI_RATE_LIMITED') this.#paused.set(account, now() + (error.retryAfterMs ?? 0));
  }

  /** Polls the shared store while a peer mints: its token, or the lock state once the peer's lock is gone. */
  async #awaitPeer(key: string): Promise<{ token: string } | { lock: 'held' | 'none' }> {
    const { now, maxAge } = this.#options;
    const giveUpAt = Date.now() + 2 * this.#lockTtl;
    while (Date.now() < giveUpAt) {
      await sleep(LOCK_POLL_MS);
      const entry = await this.#read(key);
      if (entry && now() - entry.createdAt < maxAge) return { token: entry.token };
      const lock = await this.#lock(key);
      if (lock !== 'peer') return { lock };
    }
    return { lock: 'none' };
  }

  // Store access: a store that throws is swapped for memory and said once; it is tried again every call.
  async #read(key: string): Promise<StoredToken | undefined> {
    if (!this.#useStore()) return this.#memory.get(key);
    try {
      const entry = await this.#store.get(key);
      this.#storeUp();
      return entry ?? this.#memory.get(key);
    } catch (error) {
      this.#storeFailed(error);
      return this.#memory.get(key);
    }
  }

  async #write(key: string, entry: StoredToken, ttlMs: number): Promise<void> {
    this.#memory.set(key, entry, ttlMs);
    if (!this.#useStore()) return;
    try {
      await this.#store.set(key, entry, ttlMs);
      this.#storeUp();
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  async #lock(key: string): Promise<'held' | 'peer' | 'none'> {
    if (!this.#store.lock || !this.#useStore()) return 'none';
    try {
      return (await this.#store.lock(key, this.#lockTtl)) ? 'held' : 'peer';
    } catch (error) {
      this.#storeFailed(error);
      return 'none';
    }
  }

  async #unlock(key: string): Promise<void> {
    try {
      await this.#store.unlock?.(key);
    } catch (error) {
      this.#storeFailed(error);
    }
  }

  #useStore(): boolean {
    if (this.#store === this.#memory) return false;
    return this.#storeRetryAt === undefined || Date.now() >= this.#storeRetryAt;
  }

  #storeUp(): void {
    this.#storeRetryAt = undefined;
  }

  #storeFailed(error: unknown): void {
    if (this.#storeRetryAt === undefined) {
      this.#options.report(new HubSpotIdentifyError('HSI_STORE_UNAVAILABLE',
        `The token store failed (${(error as Error)?.message ?? String(error)}); tokens are kept in memory until it answers again.`,
        { cause: error }));
    }
    this.#storeRetryAt = Date.now() + STORE_RETRY_MS;
  }
}
