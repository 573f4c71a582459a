// hubspot-identify/redis: a token store on a Redis server, so a fleet of app servers mints once per visitor.
export { RedisTokenStore, type RedisTokenStoreOptions } from './tokens/redis-store.js';
