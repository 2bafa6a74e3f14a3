import type { Core } from "./core.js";
import { mergeTree } from "./git-write.js";
import type { Mergeability } from "./render.js";
import type { Pull, Repo } from "./types.js";

/** A merge of two given commits is either clean or not, forever; merge-tree is asked once. */
const cleanMerges = new Map<string, boolean>();
const CACHE_LIMIT = 2_000;

export async function mergesCleanly(gitDir: string, base: string, head: string): Promise<boolean> {
  const key = `${gitDir}\0${base}\0${head}`;
  const known = cleanMerges.get(key);
  if (known !== undefined) return known;
  const clean = (await mergeTree(gitDir, base, head)).clean;
  if (cleanMerges.size >= CACHE_LIMIT) cleanMerges.clear();
  cleanMerges.set(key, clean);
  return clean;
}

const GREEN = new Set(["success", "neutral", "skipped"]);

/** Every latest check run per app and name, and every latest status per context, is green. */
export function headIsGreen(core: Core, repo: Repo, sha: string): boolean {
  const runs = core.store
    .checkRunsOf(repo.fullName, sha)
    .sort((a, b) => b.id - a.id)
    .filter((r, i, all) => all.findIndex((o) => o.appId === r.appId && o.name === r.name) === i);
  if (runs.some((r) => r.status !== "completed" || !GREEN.has(r.conclusion ?? ""))) return false;
  const statuses = core.store.statusesOf(repo.fullName, sha);
  const latest = new Map(statuses.map((s) => [s.context, s.state]));
  return [...latest.values()].every((state) => state === "success");
}

/**
 * GitHub's mergeable and mergeable_state as far as a repo without branch protection has them:
 * "dirty" on a conflict (from a real merge-tree), "draft", "unstable" while a check or status on
 * the head is not green, else "clean". Closed pulls are null/"unknown", as GitHub answers.
 */
export async function mergeabilityOf(core: Core, repo: Repo, pull: Pull): Promise<Mergeability> {
  if (pull.merged || pull.issue.state !== "open") return { mergeable: null, state: "unknown" };
  if (!(await mergesCleanly(repo.gitDir, pull.base.sha, pull.head.sha))) {
    return { mergeable: false, state: "dirty" };
  }
  if (pull.draft) return { mergeable: true, state: "draft" };
  if (!headIsGreen(core, repo, pull.head.sha)) return { mergeable: true, state: "unstable" };
  return { mergeable: true, state: "clean" };
}
