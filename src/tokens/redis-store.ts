// A token store on a Redis server: keys are hashes, entries expire with Redis TTLs, one lock per mint.
import { HubSpotIdentifyError } from '../errors.js';
import { bounded } from '../timers.js';
import type { LockHandle, StoredToken, TokenStore } from './store.js';

/** ioredis: `call(command, ...args)`. */
interface IoRedisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}
/** node-redis v4/v5: `sendCommand([command, ...args])`. */
interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisTokenStoreOptions {
  /** A connected ioredis or node-redis client. The store imports neither library. */
  client: IoRedisLike | NodeRedisLike;
  /** Prefix of every key. Default: `'hsi:'`. */
  prefix?: string;
  /** Most time in ms one Redis command may take before the store counts as down. Default: `500`. */
  commandTimeout?: number;
}

// Deletes the lock only if this process still holds it, so an expired lock taken over by a peer stays.
const UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const invalid = (message: string) => new HubSpotIdentifyError('HSI_INVALID_OPTION', message);

/** A new owner for one lock acquisition: 96 random bits in hex, from Web Crypto (no node:crypto). */
function lockOwner(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Tokens shared by every server using the same Redis. Keys arrive hashed and values hold the token,
 * its age and a hash of its visitor (no email, no access token); entries expire with Redis's own TTL;
 * `lock` is `SET NX PX` with an owner per acquisition, so one server mints per visitor.
 */
export class RedisTokenStore implements TokenStore {
  readonly #send: (args: string[]) => Promise<unknown>;
  readonly #prefix: string;
  readonly #timeout: number;

  constructor(options: RedisTokenStoreOptions) {
    if (typeof options !== 'object' || options === null) throw invalid('RedisTokenStore takes { client, prefix?, commandTimeout? }.');
    const { client, prefix = 'hsi:', commandTimeout = 500 } = options;
    if (client && typeof (client as IoRedisLike).call === 'function') {
      const io = client as IoRedisLike;
      this.#send = ([command, ...args]) => io.call(command!, ...args);
    } else if (client && typeof (client as NodeRedisLike).sendCommand === 'function') {
      const node = client as NodeRedisLike;
      this.#send = (args) => node.sendCommand(args);
    } else {
      throw invalid(
        'RedisTokenStore needs a connected client: new RedisTokenStore({ client }) with an ioredis instance (it has call) or a node-redis client (it has sendCommand).',
      );
    }
    if (typeof prefix !== 'string') throw invalid(`RedisTokenStore prefix must be a string, got ${typeof prefix}.`);
    if (typeof commandTimeout !== 'number' || !(commandTimeout > 0) || !Number.isFinite(commandTimeout)) {
      throw invalid(`RedisTokenStore commandTimeout must be a positive number of milliseconds, got ${String(commandTimeout)}.`);
    }
    this.#prefix = prefix;
    this.#timeout = commandTimeout;
  }

  // Keys arrive hashed (sha256, base64url) from the token source: they go to Redis as they are.
  #key(key: string, kind: 't' | 'l'): string {
    return `${this.#prefix}${kind}:${key}`;
  }

  /** One command, failing after commandTimeout so that a Redis outage cannot hold a page. */
  #command(args: string[]): Promise<unknown> {
    return bounded(
      () => this.#send(args),
      this.#timeout,
      () => new Error(`Redis did not answer ${args[0]} within ${this.#timeout} ms`),
    );
  }

  async get(key: string): Promise<StoredToken | undefined> {
    const raw = await this.#command(['GET', this.#key(key, 't')]);
    if (raw === null || raw === undefined) return undefined;
    try {
      // Until the next release, entries written before `visitor` was renamed `owner` are read too.
      const entry = JSON.parse(String(raw)) as Partial<StoredToken> & { visitor?: unknown };
      const owner = entry.owner ?? entry.visitor;
      return typeof entry.token === 'string' && typeof entry.createdAt === 'number' && typeof owner === 'string'
        ? { token: entry.token, createdAt: entry.createdAt, owner }
        : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, entry: StoredToken, ttlMs: number): Promise<void> {
    const value = JSON.stringify({ token: entry.token, createdAt: entry.createdAt, owner: entry.owner });
    await this.#command(['SET', this.#key(key, 't'), value, 'PX', String(Math.max(1, Math.floor(ttlMs)))]);
  }

  async delete(key: string): Promise<void> {
    await this.#command(['DEL', this.#key(key, 't')]);
  }

  async lock(key: string, ttlMs: number): Promise<LockHandle | null> {
    const owner = lockOwner();
    const answer = await this.#command(['SET', this.#key(key, 'l'), owner, 'NX', 'PX', String(Math.max(1, Math.floor(ttlMs)))]);
    return answer === 'OK' ? { key, owner } : null;
  }

  async unlock(handle: LockHandle): Promise<void> {
    await this.#command(['EVAL', UNLOCK, '1', this.#key(handle.key, 'l'), handle.owner]);
  }
}
