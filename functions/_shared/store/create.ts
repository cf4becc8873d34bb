/** Picks the fast store: Upstash when a REST URL is configured, else the in-process one. */
import { MemoryStore } from "./memory.ts";
import { type Clock, type FastStore, type Logger, systemClock } from "./store.ts";
import { UpstashStore } from "./upstash.ts";

export interface StoreConfig {
  url?: string;
  token?: string;
}

export function createStore(
  config: StoreConfig,
  log: Pick<Logger, "warn">,
  clock: Pick<Clock, "now"> = systemClock,
): FastStore {
  if (config.url) {
    if (!config.token) {
      throw new Error("UPSTASH_REDIS_REST_TOKEN is required when UPSTASH_REDIS_REST_URL is set");
    }
    return new UpstashStore({ url: config.url, token: config.token });
  }
  log.warn(
    "fast store: IN-PROCESS MEMORY — not durable and not shared between processes; " +
      "set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or install redis-server) for a real one",
    { store: "memory", durable: false },
  );
  return new MemoryStore(clock);
}
