// Token stores: the small async interface, and the in-memory LRU every identifier starts with.
import { LRUCache } from 'lru-cache';

/** A cached HubSpot token and when it was made (ms, on the identifier's clock). */
export interface StoredToken {
  token: string;
  createdAt: number;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Where tokens are kept. Keys are already hashed per account and visitor. `get` and `set` are enough;
 * a store shared by several servers adds `lock`/`unlock` so that only one of them calls HubSpot.
 */
export interface TokenStore {
  get(key: string): MaybePromise<StoredToken | undefined>;
  /** Keeps the entry for at most `ttlMs`. */
  set(key: string, entry: StoredToken, ttlMs: number): MaybePromise<void>;
  /** Takes a short lock on `key` for `ttlMs`; true when this caller holds it. */
  lock?(key: string, ttlMs: number): Promise<boolean>;
  unlock?(key: string): Promise<void>;
}

/** The default store: an LRU in this process's memory. */
export class MemoryTokenStore implements TokenStore {
  readonly #cache: LRUCache<string, StoredToken>;

  constructor({ max = 10_000 }: { max?: number } = {}) {
    this.#cache = new LRUCache<string, StoredToken>({ max });
  }

  get(key: string): StoredToken | undefined {
    return this.#cache.get(key);
  }

  set(key: string, entry: StoredToken, ttlMs: number): void {
    this.#cache.set(key, entry, { ttl: ttlMs });
  }

  get size(): number {
    return this.#cache.size;
  }
}
