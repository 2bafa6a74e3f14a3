import { LRUCache } from "lru-cache";
import type { Clock } from "../config/clock.js";
import { FLEET_CONFIG_PATH } from "../config/fleet-config.js";

/** How long a repository's fleet.yml is trusted without a push saying it changed. */
export const DEFAULT_CONFIG_CACHE_TTL_MS = 60_000;
const MAX_CACHED_REPOS = 5_000;
/** GitHub lists at most 20 commits in a push payload; a longer push may hide a change. */
const PUSH_COMMITS_LISTED = 20;

/** What a push to a default branch says about the files it changed. */
export interface PushFacts {
  repoFullName: string;
  ref: string;
  defaultBranch: string;
  touched: readonly string[];
  commitCount: number;
  forced: boolean;
}

export interface FleetConfigCache {
  /** The repo's raw fleet.yml as `load` reads it, loaded once per TTL for every caller. */
  read(repoFullName: string, load: () => Promise<unknown>): Promise<unknown>;
  /** Forgets what a push to a default branch may have changed. */
  notePush(push: PushFacts): void;
}

/**
 * Every label reads the repository's fleet.yml (the trigger label is per repository), which
 * would cost a GitHub request per label. The raw file is kept per repository instead, shared
 * by concurrent readers and forgotten when a push to a default branch touches a fleet.yml.
 * A repo's file may come from its owner's `.github` repository or `_extends` another repo of
 * the owner, so such a push forgets every repo of the owner. Another server process that did
 * not receive the push, or an `_extends` across owners, sees the change within the TTL.
 * Failed reads are not kept: the next reader tries again.
 */
export function createFleetConfigCache(options: { clock: Clock; ttlMs: number }): FleetConfigCache {
  const ttl = Math.max(1, Math.round(options.clock.scale(options.ttlMs)));
  const entries = new LRUCache<string, Promise<unknown>>({
    max: MAX_CACHED_REPOS,
    ttl,
    // Read the fleet's clock at every look-up rather than lru-cache's millisecond-cached one.
    ttlResolution: 0,
    perf: { now: () => options.clock.now() },
  });
  const keyOf = (fullName: string) => fullName.toLowerCase();
  return {
    read(repoFullName, load) {
      const key = keyOf(repoFullName);
      const known = entries.get(key);
      if (known) return known;
      const loading = load();
      entries.set(key, loading);
      loading.catch(() => {
        if (entries.get(key) === loading) entries.delete(key);
      });
      return loading;
    },
    notePush(push) {
      if (push.ref !== `refs/heads/${push.defaultBranch}`) return;
      const mayHaveChanged =
        push.forced ||
        push.commitCount >= PUSH_COMMITS_LISTED ||
        push.touched.includes(FLEET_CONFIG_PATH);
      if (!mayHaveChanged) return;
      const owner = `${keyOf(push.repoFullName).split("/")[0]}/`;
      for (const key of [...entries.keys()]) if (key.startsWith(owner)) entries.delete(key);
    },
  };
}

/** No cache: every read goes to GitHub. */
export const uncachedFleetConfig: FleetConfigCache = {
  read: (_repo, load) => load(),
  notePush: () => {},
};
