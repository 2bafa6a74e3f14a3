import type { Logger } from "pino";
import { type ConfigError, FLEET_CONFIG_PATH } from "../config/fleet-config.js";
import { checkFleetConfigText, type LocatedConfigError } from "../config/fleet-config-file.js";
import type { Db } from "../db/client.js";
import {
  clearConfigErrors,
  hasConfigErrors,
  withConfigErrorState,
} from "../db/queries/config-errors.js";
import {
  CONFIG_CHECK_NAME,
  CONFIG_ERROR_ISSUE_TITLE,
  configCheckOutput,
  configErrorIssueBody,
  configFixedComment,
  configStillBrokenComment,
} from "./config-messages.js";

/** What checking a repo's fleet.yml needs from GitHub. */
export interface ConfigHealthGitHub {
  /** A file's text at a ref, or null when it is not there. */
  readFile(path: string, ref: string): Promise<string | null>;
  createIssue(title: string, body: string): Promise<number>;
  closeIssue(issueNumber: number): Promise<void>;
  comment(issueNumber: number, body: string): Promise<void>;
  /** Paths a pull request changes. */
  changedFiles(prNumber: number): Promise<string[]>;
  createCheckRun(run: {
    name: string;
    headSha: string;
    conclusion: "success" | "failure";
    title: string;
    summary: string;
  }): Promise<void>;
}

/** The file's problems with their lines; falls back to the loader's errors when it has none. */
export async function locateConfigErrors(
  gh: Pick<ConfigHealthGitHub, "readFile">,
  ref: string,
  errors: readonly ConfigError[],
): Promise<LocatedConfigError[]> {
  const text = await gh.readFile(FLEET_CONFIG_PATH, ref).catch(() => null);
  const check = text === null ? null : checkFleetConfigText(text);
  if (check && !check.ok) return check.errors;
  // e.g. the problem came in through `_extends`: the file itself reads fine.
  return errors.map((e) => ({ ...e, line: null }));
}

/** A PR that changes `.github/fleet.yml` gets a `fleet/config` check run on its head. */
export async function checkConfigOnPull(
  gh: Pick<ConfigHealthGitHub, "readFile" | "createCheckRun" | "changedFiles">,
  pull: { number: number; headSha: string },
): Promise<"passed" | "failed" | "not-changed"> {
  if (!(await gh.changedFiles(pull.number)).includes(FLEET_CONFIG_PATH)) return "not-changed";
  const text = await gh.readFile(FLEET_CONFIG_PATH, pull.headSha);
  const check = text === null ? ({ ok: true } as const) : checkFleetConfigText(text);
  const output = configCheckOutput(check.ok ? [] : check.errors, text === null);
  await gh.createCheckRun({
    name: CONFIG_CHECK_NAME,
    headSha: pull.headSha,
    conclusion: check.ok ? "success" : "failure",
    ...output,
  });
  return check.ok ? "passed" : "failed";
}

export type ConfigHealthOutcome =
  | { kind: "healthy" }
  | { kind: "fixed"; issue: number }
  | { kind: "reported"; issue: number; created: boolean };

/**
 * Keeps the repo's one "agent-fleet configuration error" issue in step with the default
 * branch's fleet.yml: opened (once) while it is invalid, closed when it is fixed. While the
 * errors stand, runners claim nothing of the repo (see claim.ts).
 */
export async function syncConfigHealth(
  deps: { db: Db; log: Logger },
  gh: Pick<ConfigHealthGitHub, "createIssue" | "closeIssue" | "comment">,
  repo: { fullName: string; installationId: number },
  errors: readonly LocatedConfigError[],
): Promise<ConfigHealthOutcome> {
  const log = deps.log.child({ repo: repo.fullName });
  if (errors.length === 0) {
    const closed = await clearConfigErrors(deps.db, repo.fullName);
    if (closed === null) return { kind: "healthy" };
    await gh.comment(closed, configFixedComment());
    await gh.closeIssue(closed);
    log.info({ issue: closed }, "fleet.yml fixed; configuration error issue closed");
    return { kind: "fixed", issue: closed };
  }
  // Under the repo's row lock, so two events about the same bad file open one issue.
  return withConfigErrorState<ConfigHealthOutcome>(deps.db, repo, async (state) => {
    // jsonb does not keep key order, so compare the fields, not the serialised text.
    const key = (list: readonly LocatedConfigError[] | null) =>
      (list ?? []).map((e) => `${e.path}\0${e.message}\0${e.line}`).join("\n");
    const same = key(state.errors) === key(errors);
    if (state.issue !== null) {
      if (!same) await gh.comment(state.issue, configStillBrokenComment(errors));
      return {
        next: { issue: state.issue, errors: [...errors] },
        result: { kind: "reported", issue: state.issue, created: false },
      };
    }
    const issue = await gh.createIssue(CONFIG_ERROR_ISSUE_TITLE, configErrorIssueBody(errors));
    log.warn({ issue, errors }, "fleet.yml on the default branch is invalid; dispatch stopped");
    return {
      next: { issue, errors: [...errors] },
      result: { kind: "reported", issue, created: true },
    };
  });
}

export interface DefaultBranchPush {
  repo: { fullName: string; installationId: number; defaultBranch: string };
  /** The pushed ref, `refs/heads/<branch>`. */
  ref: string;
  after: string;
  /** Paths the pushed commits added, changed or removed. */
  touched: readonly string[];
}

/**
 * A push to the default branch that touches fleet.yml (or any push while the repo is reported
 * broken) checks the file again: a fix closes the configuration error issue and dispatch resumes.
 */
export async function onDefaultBranchPush(
  deps: { db: Db; log: Logger },
  gh: ConfigHealthGitHub,
  push: DefaultBranchPush,
): Promise<ConfigHealthOutcome | "ignored"> {
  if (push.ref !== `refs/heads/${push.repo.defaultBranch}`) return "ignored";
  if (
    !push.touched.includes(FLEET_CONFIG_PATH) &&
    !(await hasConfigErrors(deps.db, push.repo.fullName))
  ) {
    return "ignored";
  }
  const text = await gh.readFile(FLEET_CONFIG_PATH, push.after);
  const check = text === null ? ({ ok: true } as const) : checkFleetConfigText(text);
  return syncConfigHealth(deps, gh, push.repo, check.ok ? [] : check.errors);
}
