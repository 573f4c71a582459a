// Token stores: the small async interface, and the in-memory LRU every identifier starts with.
import { LRUCache } from 'lru-cache';
import type { MaybePromise } from '../maybe-promise.js';

/** A cached HubSpot token, when it was made (ms, on the minting server's clock), and for whom. */
export interface StoredToken {
  token: string;
  createdAt: number;
  /** A hash of the account and visitor it was minted for (never the email): served only to them. */
  owner: string;
}

/**
 * Where tokens are kept. Keys arrive hashed (no email, no access token). Every call is bounded by
 * the identifier's `timeout`: a store that throws, rejects or hangs is replaced by memory for a while.
 */
export interface TokenStore {
  get(key: string): MaybePromise<StoredToken | undefined>;
  /** Keeps the entry for at most `ttlMs`. */
  set(key: string, entry: StoredToken, ttlMs: number): MaybePromise<void>;
  /** Drops the entry (`forget`). */
  delete(key: string): MaybePromise<void>;
  /**
   * For a store shared by several servers: takes a lock on `key` for `ttlMs`, so that one server calls
   * HubSpot. Resolves with a handle for `unlock`, or null when another holder has it.
   */
  lock?(key: string, ttlMs: number): Promise<LockHandle | null>;
  /** Releases the lock `handle` took; a lock that has since expired and been taken by a peer stays. */
  unlock?(handle: LockHandle): Promise<void>;
}

/** What `lock` hands back: the store keeps no state per lock, the handle says which acquisition it was. */
export interface LockHandle {
  readonly key: string;
  readonly owner: string;
}

/**
 * An LRU of at most `max` entries that takes memory as it fills. Given `max`, lru-cache allocates its
 * arrays for `max` entries up front (~200 KB at 10,000, before anything is cached); bounded by
 * `maxSize` with each entry counting 1, the bound and the eviction order are the same and it does not.
 */
export function growingLru<K extends {}, V extends {}>(max: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: max, sizeCalculation: () => 1 });
}

/** The default store: an LRU in this process's memory. */
export class MemoryTokenStore implements TokenStore {
  readonly #cache: LRUCache<string, StoredToken>;

  constructor({ max = 10_000 }: { max?: number } = {}) {
    this.#cache = growingLru(max);
  }

  get(key: string): StoredToken | undefined {
    return this.#cache.get(key);
  }

  set(key: string, entry: StoredToken, ttlMs: number): void {
    this.#cache.set(key, entry, { ttl: ttlMs });
  }

  delete(key: string): void {
    this.#cache.delete(key);
  }

  get size(): number {
    return this.#cache.size;
  }
}
