import { mkdir, rm } from "node:fs/promises";
import { type GitResult, runGit } from "./git-process.js";

/** The emulated remotes are real bare repositories; everything here shells out to `git`. */

const IDENTITY = {
  GIT_AUTHOR_NAME: "GitHub Emulator",
  GIT_AUTHOR_EMAIL: "emulator@127.0.0.1",
  GIT_COMMITTER_NAME: "GitHub Emulator",
  GIT_COMMITTER_EMAIL: "emulator@127.0.0.1",
};

/** Runs git on a bare repository; resolves whatever the exit code. */
export function gitResult(
  gitDir: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<GitResult> {
  return runGit(["--git-dir", gitDir, ...args], {
    env: { ...IDENTITY, GIT_TERMINAL_PROMPT: "0", ...env },
    ...(input === undefined ? {} : { input }),
  });
}

/** Runs git on a bare repository and gives its output; a failing command throws. */
export async function git(
  gitDir: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<string> {
  return (await gitBytes(gitDir, args, input, env)).toString("utf8");
}

async function gitBytes(
  gitDir: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<Buffer> {
  const result = await gitResult(gitDir, args, input, env);
  if (result.exitCode !== 0) {
    throw new Error(
      `git ${args.join(" ")} failed with exit code ${result.exitCode}: ${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}

async function gitOrNull(gitDir: string, args: string[]): Promise<string | null> {
  try {
    return await git(gitDir, args);
  } catch {
    return null;
  }
}

/** Creates a bare repository whose default branch holds one commit with `files`. */
export async function initBareRepo(
  gitDir: string,
  defaultBranch: string,
  files: Record<string, string>,
): Promise<string> {
  await mkdir(gitDir, { recursive: true });
  const init = await runGit([
    "init",
    "--bare",
    "--quiet",
    `--initial-branch=${defaultBranch}`,
    gitDir,
  ]);
  if (init.exitCode !== 0) throw new Error(`git init ${gitDir} failed: ${init.stderr.trim()}`);
  // A throwaway index builds nested trees without needing a working copy.
  const withIndex = { GIT_INDEX_FILE: `${gitDir}/emulator-seed.index` };
  const entries: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const sha = (await git(gitDir, ["hash-object", "-w", "--stdin"], content)).trim();
    entries.push(`100644 blob ${sha}\t${path}\n`);
  }
  await git(gitDir, ["update-index", "--add", "--index-info"], entries.join(""), withIndex);
  const tree = (await git(gitDir, ["write-tree"], undefined, withIndex)).trim();
  const commit = (await git(gitDir, ["commit-tree", tree, "-m", "Initial commit"])).trim();
  await git(gitDir, ["update-ref", `refs/heads/${defaultBranch}`, commit]);
  await rm(withIndex.GIT_INDEX_FILE, { force: true });
  return commit;
}

/** Branch name -> tip sha, read fresh so pushes made since are seen. */
export async function listBranches(gitDir: string): Promise<Map<string, string>> {
  const out = await git(gitDir, [
    "for-each-ref",
    "--format=%(objectname) %(refname)",
    "refs/heads",
  ]);
  const branches = new Map<string, string>();
  for (const line of out.split("\n")) {
    const [sha, ref] = line.split(" ");
    if (sha && ref) branches.set(ref.replace(/^refs\/heads\//, ""), sha);
  }
  return branches;
}

/** Resolves a branch, tag or sha to a commit sha, or null. */
export async function resolveCommit(gitDir: string, ref: string): Promise<string | null> {
  if (ref.startsWith("-") || ref.includes("..")) return null;
  const out = await gitOrNull(gitDir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return out?.trim() || null;
}

export type TreeEntry =
  | { kind: "file"; sha: string; size: number; content: Buffer }
  | {
      kind: "dir";
      sha: string;
      entries: Array<{ name: string; type: string; sha: string; size: number }>;
    };

/** Commits are immutable, so what a path holds at a commit sha can be remembered. */
const pathCache = new Map<string, TreeEntry | null>();
const PATH_CACHE_LIMIT = 2_000;

/** Reads `path` at `commit`: a file with its bytes, a directory listing, or null when absent. */
export async function readPath(
  gitDir: string,
  commit: string,
  path: string,
): Promise<TreeEntry | null> {
  const spec = `${commit}:${path.replace(/^\/+|\/+$/g, "")}`;
  const key = `${gitDir}\0${spec}`;
  const immutable = /^[0-9a-f]{40}$/.test(commit);
  if (immutable && pathCache.has(key)) return pathCache.get(key) ?? null;
  const entry = await readPathUncached(gitDir, spec);
  if (immutable) {
    if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
    pathCache.set(key, entry);
  }
  return entry;
}

async function readPathUncached(gitDir: string, spec: string): Promise<TreeEntry | null> {
  // One process answers both "what is it" and "which object": "<sha> <type> <size>".
  const check = (await git(gitDir, ["cat-file", "--batch-check"], `${spec}\n`)).trim();
  const [sha, type] = check.split(" ");
  if (!sha || !type || type === "missing" || check.endsWith("missing")) return null;
  if (type === "blob") {
    const content = await gitBytes(gitDir, ["cat-file", "blob", sha]);
    return { kind: "file", sha, size: content.length, content };
  }
  if (type !== "tree") return null;
  const out = await git(gitDir, ["ls-tree", "-l", sha]);
  const entries = out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [meta = "", name = ""] = line.split("\t");
      const [, objType = "", objSha = "", size = ""] = meta.split(/\s+/);
      return { name, type: objType, sha: objSha, size: Number(size) || 0 };
    });
  return { kind: "dir", sha, entries };
}

export interface ChangedFile {
  filename: string;
  status: "added" | "removed" | "modified" | "changed";
  additions: number;
  deletions: number;
  sha: string | null;
}

/** Files changed on `head` since it forked from `base` (what GitHub's three-dot diff shows). */
export async function diffFiles(
  gitDir: string,
  base: string,
  head: string,
): Promise<ChangedFile[]> {
  const range = `${base}...${head}`;
  const [numstat, raw] = await Promise.all([
    git(gitDir, ["diff", "--no-renames", "--numstat", "-z", range]),
    git(gitDir, ["diff", "--no-renames", "--raw", "--no-abbrev", "-z", range]),
  ]);
  const counts = new Map<string, { additions: number; deletions: number }>();
  for (const record of numstat.split("\0").filter(Boolean)) {
    const [add = "0", del = "0", name = ""] = record.split("\t");
    counts.set(name, { additions: Number(add) || 0, deletions: Number(del) || 0 });
  }
  // --raw -z emits ":meta\0path\0" pairs.
  const parts = raw.split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i] as string;
    const filename = parts[i + 1] as string;
    if (!meta.startsWith(":")) continue;
    const [, , , newSha = "", letter = ""] = meta.slice(1).split(" ");
    const status =
      letter === "A"
        ? "added"
        : letter === "D"
          ? "removed"
          : letter === "M"
            ? "modified"
            : "changed";
    const count = counts.get(filename) ?? { additions: 0, deletions: 0 };
    files.push({ filename, status, ...count, sha: status === "removed" ? null : newSha });
  }
  return files;
}

export async function countCommits(gitDir: string, base: string, head: string): Promise<number> {
  return Number((await git(gitDir, ["rev-list", "--count", `${base}..${head}`])).trim());
}

export interface Person {
  name: string;
  email: string;
  /** ISO 8601 without milliseconds, in UTC. */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  message: string;
}

const utc = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, "Z");

/** One commit per record: fields split by NUL, records ended by RS. */
const COMMIT_FORMAT = `${["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00")}%x1e`;

function parseCommits(out: string): CommitInfo[] {
  return out
    .split("\x1e")
    .map((record) => record.replace(/^\n/, ""))
    .filter(Boolean)
    .map((record) => {
      const fields = record.split("\0");
      const [
        sha = "",
        tree = "",
        parents = "",
        an = "",
        ae = "",
        ad = "",
        cn = "",
        ce = "",
        cd = "",
      ] = fields;
      return {
        sha,
        tree,
        parents: parents.split(" ").filter(Boolean),
        author: { name: an, email: ae, date: utc(ad) },
        committer: { name: cn, email: ce, date: utc(cd) },
        message: fields.slice(9).join("\0").replace(/\n+$/, ""),
      };
    });
}

/** Commits are immutable, so their metadata is read once. */
const commitCache = new Map<string, CommitInfo>();

function remember(gitDir: string, info: CommitInfo): CommitInfo {
  if (commitCache.size >= PATH_CACHE_LIMIT) commitCache.clear();
  commitCache.set(`${gitDir}\0${info.sha}`, info);
  return info;
}

export async function commitInfo(gitDir: string, sha: string): Promise<CommitInfo> {
  const cached = commitCache.get(`${gitDir}\0${sha}`);
  if (cached) return cached;
  const out = await git(gitDir, ["show", "-s", `--format=${COMMIT_FORMAT}`, sha, "--"]);
  const [info] = parseCommits(out);
  if (!info) throw new Error(`emulator: no commit ${sha}`);
  return remember(gitDir, info);
}

/** Commits reachable from `ref` and not from `base`, children first unless `reverse`. */
export async function logCommits(
  gitDir: string,
  ref: string,
  opts: { base?: string; reverse?: boolean } = {},
): Promise<CommitInfo[]> {
  const range = opts.base ? `${opts.base}..${ref}` : ref;
  const order = opts.reverse ? ["--reverse"] : [];
  // Commits made within one second tie on date; topological order keeps parents after children.
  const args = ["log", "--topo-order", `--format=${COMMIT_FORMAT}`, ...order, range, "--"];
  const out = await git(gitDir, args);
  return parseCommits(out).map((info) => remember(gitDir, info));
}

export interface PushedCommit {
  sha: string;
  tree: string;
  message: string;
  author: { name: string; email: string; date: string };
  added: string[];
  removed: string[];
  modified: string[];
}

/** The commits a push brought, oldest first (at most `limit`, as GitHub lists 20). */
export async function pushedCommits(
  gitDir: string,
  before: string | null,
  after: string,
  limit = 20,
): Promise<PushedCommit[]> {
  const range = before ? [`${before}..${after}`] : ["-1", after];
  const shas = (await git(gitDir, ["rev-list", "--reverse", ...range])).split("\n").filter(Boolean);
  const commits: PushedCommit[] = [];
  for (const sha of shas.slice(-limit)) {
    const meta = await git(gitDir, ["show", "-s", "--format=%T%x00%an%x00%ae%x00%aI%x00%B", sha]);
    const [tree = "", name = "", email = "", date = "", ...message] = meta.split("\0");
    const changes = await git(gitDir, [
      "diff-tree",
      "--root",
      "--no-commit-id",
      "--no-renames",
      "--name-status",
      "-r",
      "-z",
      sha,
    ]);
    const parts = changes.split("\0").filter(Boolean);
    const files = { added: [] as string[], removed: [] as string[], modified: [] as string[] };
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const status = parts[i];
      const path = parts[i + 1] as string;
      if (status === "A") files.added.push(path);
      else if (status === "D") files.removed.push(path);
      else files.modified.push(path);
    }
    commits.push({
      sha,
      tree,
      message: message.join("\0").trim(),
      author: { name, email, date },
      ...files,
    });
  }
  return commits;
}
