import { execa } from "execa";
import { redactText } from "../log.js";

/**
 * Every git command the runner runs goes through here. The installation token reaches git only
 * through a credential helper that reads FLEET_GIT_TOKEN from that one process's environment:
 * never argv (visible in ps), never a config file, never a stored remote URL.
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

// Runner environment a git child may keep. Everything else named GIT_* (GIT_DIR from a hook,
// GIT_TRACE_CURL that prints auth headers, author overrides) is dropped.
const KEPT_GIT_VARS = new Set([
  "GIT_SSH",
  "GIT_SSH_COMMAND",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_EXEC_PATH",
]);
const DROPPED_VARS = new Set([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GH_ENTERPRISE_TOKEN",
  "GITHUB_ENTERPRISE_TOKEN",
  "FLEET_GIT_TOKEN",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
]);

/**
 * Config in a repository the agent could write that would redirect or authenticate git traffic
 * (url.*.insteadOf sending the token elsewhere, remote.<url>.uploadpack, includes, ...).
 */
const UNSAFE_REPO_CONFIG =
  "^(url|http|credential|include|includeif|remote)\\.|^core\\.(sshcommand|gitproxy|askpass)$";

export async function git(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const { cwd, token } = opts;
  if (token !== undefined && cwd !== undefined) await assertSafeRepoConfig(cwd);
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

function credentialArgs(): string[] {
  // the empty value first clears every helper configured anywhere else
  return ["-c", "credential.helper=", "-c", `credential.helper=${TOKEN_HELPER}`];
}

function gitEnv(token: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || DROPPED_VARS.has(name)) continue;
    if (name.startsWith("GIT_") && !KEPT_GIT_VARS.has(name)) continue;
    env[name] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  if (token !== undefined) env.FLEET_GIT_TOKEN = token;
  return env;
}

/** The token as git might echo it: plain, and inside a Basic auth header. */
function secretForms(token: string): string[] {
  return [token, Buffer.from(`x-access-token:${token}`).toString("base64")];
}

async function assertSafeRepoConfig(cwd: string): Promise<void> {
  const found = await git(["config", "--show-scope", "--get-regexp", UNSAFE_REPO_CONFIG], {
    cwd,
    okExitCodes: [1],
  });
  const unsafe = found.stdout
    .split("\n")
    .filter((line) => /^(local|worktree)\t/.test(line))
    .map((line) => line.split(/\s+/)[1]);
  if (unsafe.length > 0) {
    throw new GitError(
      `refusing to send credentials from ${cwd}: its git config sets ${unsafe.join(", ")}`,
      undefined,
      "",
    );
  }
}
