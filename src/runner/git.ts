import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { redactText } from "../log.js";
import { guardGitCommand } from "./push-guard.js";

/**
 * Every git command the runner runs goes through here. The installation token reaches git only
 * through a credential helper that reads FLEET_GIT_TOKEN from that one process's environment:
 * never argv (visible in ps), never a config file, never a stored remote URL. A push may only
 * name branches under fleet/ (push-guard.ts), and git runs with none of the runner's secrets.
 */
export class GitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "GitError";
  }
}

export interface GitOptions {
  cwd?: string;
  token?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okExitCodes?: number[];
  /** The repository's default branch: a push to it is refused (as is any branch outside fleet/). */
  defaultBranch?: string;
}

export interface GitResult {
  stdout: string;
  /** Redacted; useful when an exit code in okExitCodes still needs explaining. */
  stderr: string;
  exitCode: number;
}

const TOKEN_HELPER = '!f() { echo username=x-access-token; echo "password=$FLEET_GIT_TOKEN"; }; f';

// Hooks and fsmonitor run programs; a workspace is written by the agent, so neither may run
// inside a runner git command.
const ALWAYS = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"];

// The runner's own environment holds its secrets (PRIVATE_KEY, DATABASE_URL, ...), and git runs
// programs (filters, helpers) that could print it, so git gets an allowlist, not a filter.
const KEPT_VARS = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "SSH_AUTH_SOCK",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  // GIT_* is dropped otherwise: GIT_DIR from a hook, GIT_TRACE_CURL that prints auth headers,
  // author overrides.
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_EXEC_PATH",
]);

/**
 * Config in a repository the agent could write that would redirect or authenticate git traffic
 * (url.*.insteadOf sending the token elsewhere, remote.<url>.uploadpack, includes, ...).
 */
const CREDENTIAL_CONFIG =
  "^(url|http|credential|include|includeif|remote)\\.|^core\\.(sshcommand|gitproxy|askpass)$|^push\\.gpgsign$";

/**
 * Config the agent could write that makes the runner's own git commands run a program of its
 * choosing: a clean/smudge filter (git add, checkout), a merge driver (merge, rebase, revert),
 * a signing program, or an include that brings any of those in. Global config is trusted.
 */
const PROGRAM_CONFIG = "^(filter|gpg|include|includeif)\\.|^merge\\..+\\.driver$";

// Section and key names cannot be escaped, so a config file that lacks every one of these words
// cannot set any key above; only a file that has one pays for asking git itself.
const PROGRAM_WORDS = /filter|gpg|include|merge/i;
const CREDENTIAL_WORDS =
  /filter|gpg|include|merge|url|http|credential|remote|sshcommand|gitproxy|askpass/i;

// Commands that only read or move refs and never start a filter or driver; leaving them
// unchecked keeps cleanup working in a workspace whose config was tampered with.
const INERT_COMMANDS = new Set([
  "rev-parse",
  "symbolic-ref",
  "rev-list",
  "merge-base",
  "check-ref-format",
  "config",
  "branch",
  "worktree remove",
  "worktree prune",
]);

export async function git(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  guardGitCommand(args, opts);
  const sendsCredentials = opts.token !== undefined;
  if (opts.cwd !== undefined && (sendsCredentials || !isInert(args))) {
    await assertSafeRepoConfig(opts.cwd, sendsCredentials);
  }
  return run(args, opts);
}

async function run(args: string[], opts: GitOptions): Promise<GitResult> {
  const { cwd, token } = opts;
  const argv =
    token === undefined ? [...ALWAYS, ...args] : [...ALWAYS, ...credentialArgs(), ...args];
  const result = await execa("git", argv, {
    cwd,
    env: gitEnv(token),
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: true,
  });
  const exitCode = result.exitCode ?? -1;
  const secrets = token === undefined ? [] : secretForms(token);
  const stderr = redactText(String(result.stderr ?? ""), secrets).trim();
  if (exitCode === 0 || opts.okExitCodes?.includes(exitCode)) {
    return { stdout: result.stdout, stderr, exitCode };
  }
  const why = result.signal ? `signal ${result.signal}` : `exit ${exitCode}`;
  const cause = stderr || redactText(result.originalMessage ?? result.shortMessage ?? "", secrets);
  throw new GitError(`git ${args[0] ?? ""} failed (${why}): ${cause}`, result.exitCode, stderr);
}

function isInert(args: readonly string[]): boolean {
  const [command, sub] = args;
  return (
    command !== undefined &&
    INERT_COMMANDS.has(command === "worktree" ? `${command} ${sub}` : command)
  );
}

function credentialArgs(): string[] {
  // the empty value first clears every helper configured anywhere else
  return ["-c", "credential.helper=", "-c", `credential.helper=${TOKEN_HELPER}`];
}

function gitEnv(token: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (KEPT_VARS.has(name) || name.startsWith("LC_"))) env[name] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  if (token !== undefined) env.FLEET_GIT_TOKEN = token;
  return env;
}

/** The token as git might echo it: plain, and inside a Basic auth header. */
function secretForms(token: string): string[] {
  return [token, Buffer.from(`x-access-token:${token}`).toString("base64")];
}

async function assertSafeRepoConfig(cwd: string, sendsCredentials: boolean): Promise<void> {
  if (!(await mayHoldUnsafeConfig(cwd, sendsCredentials))) return;
  const pattern = sendsCredentials ? `${CREDENTIAL_CONFIG}|${PROGRAM_CONFIG}` : PROGRAM_CONFIG;
  const found = await run(["config", "--show-scope", "--get-regexp", pattern], {
    cwd,
    okExitCodes: [1],
  });
  const unsafe = found.stdout
    .split("\n")
    .filter((line) => /^(local|worktree)\t/.test(line))
    .map((line) => line.split(/\s+/)[1]);
  if (unsafe.length === 0) return;
  const why = sendsCredentials
    ? `refusing to send credentials from ${cwd}`
    : `refusing to run git in ${cwd}, which would run a program the workspace chose`;
  throw new GitError(`${why}: its git config sets ${unsafe.join(", ")}`, undefined, "");
}

/** False only when every repository config file of `cwd` was read and names none of the words. */
async function mayHoldUnsafeConfig(cwd: string, sendsCredentials: boolean): Promise<boolean> {
  const words = sendsCredentials ? CREDENTIAL_WORDS : PROGRAM_WORDS;
  try {
    const files = await repoConfigFiles(cwd);
    if (files === null) return true;
    for (const file of files) {
      const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      if (words.test(text)) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * The repository-level config files git reads in `cwd` (a worktree root or a bare mirror), or
 * null for any other layout, which then goes to git itself.
 */
async function repoConfigFiles(cwd: string): Promise<string[] | null> {
  const dotGit = join(cwd, ".git");
  const found = await stat(dotGit).catch(() => null);
  let gitDir: string;
  if (found?.isDirectory()) gitDir = dotGit;
  else if (found?.isFile()) {
    const pointer = /^gitdir: (.+)$/m.exec(await readFile(dotGit, "utf8"))?.[1];
    if (pointer === undefined) return null;
    gitDir = resolve(cwd, pointer.trim());
  } else if (!found && existsSync(join(cwd, "HEAD")) && existsSync(join(cwd, "objects"))) {
    gitDir = cwd;
  } else return null;
  const commonDir = await readFile(join(gitDir, "commondir"), "utf8").then(
    (text) => resolve(gitDir, text.trim()),
    () => gitDir,
  );
  return [
    join(commonDir, "config"),
    join(commonDir, "config.worktree"),
    join(gitDir, "config.worktree"),
  ];
}
