import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Db } from "../db/client.js";
import {
  claimBodyWrite,
  currentBodyHash,
  detachDashboardIssue,
  ensureDashboardIssue,
  readDashboardTarget,
  reattachDashboardIssue,
  releaseBodyWrite,
} from "./issue-state.js";
import { DASHBOARD_ISSUE_TITLE, renderDashboard } from "./render.js";
import { readDashboardView } from "./snapshot.js";

/** What keeping the dashboard issue needs from GitHub. */
export interface DashboardIssueGitHub {
  createIssue(title: string, body: string): Promise<number>;
  /**
   * Writes the body and opens the issue again if someone closed it (closing it does not turn the
   * dashboard off; `dashboard: false` does). "gone" when the issue was deleted or moved away.
   */
  updateIssue(issue: number, body: string): Promise<"updated" | "gone">;
  closeIssue(issue: number): Promise<void>;
}

export interface DashboardIssueGitHubFactory {
  forRepo(installationId: number, repoFullName: string): Promise<DashboardIssueGitHub>;
}

export type DashboardSyncOutcome =
  | { kind: "no-tasks" }
  | { kind: "off" }
  | { kind: "closed"; issue: number }
  | { kind: "created"; issue: number }
  | { kind: "unchanged"; issue: number }
  /** superseded: another writer claimed a newer body while this one was being written. */
  | { kind: "updated"; issue: number; superseded: boolean };

export interface SyncOptions {
  /** `dashboard` from the webhook's own fleet.yml, when a handler has it; else the snapshot's. */
  enabled?: boolean;
  /** Write even when the stored hash matches: an older body may have landed after this one. */
  force?: boolean;
}

export function bodyHash(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/**
 * Brings one repository's dashboard issue in line with the database: created once, rewritten
 * only when its body changed, closed when the repo turned it off. GitHub is asked for a client
 * only when something is to be written.
 */
export async function syncDashboardIssue(
  deps: { db: Db; log: Logger },
  github: DashboardIssueGitHubFactory,
  repoFullName: string,
  options: SyncOptions = {},
): Promise<DashboardSyncOutcome> {
  const { db } = deps;
  const log = deps.log.child({ repo: repoFullName });
  const target = await readDashboardTarget(db, repoFullName);
  if (!target) return { kind: "no-tasks" };
  let client: Promise<DashboardIssueGitHub> | undefined;
  const gh = () => {
    client ??= github.forRepo(target.installationId, repoFullName);
    return client;
  };

  if (!(options.enabled ?? target.enabled)) {
    const detached = await detachDashboardIssue(db, repoFullName);
    if (!detached) return { kind: "off" };
    try {
      await (await gh()).closeIssue(detached.issue);
    } catch (error) {
      await reattachDashboardIssue(db, repoFullName, detached);
      throw error;
    }
    log.info({ issue: detached.issue }, "dashboard turned off; dashboard issue closed");
    return { kind: "closed", issue: detached.issue };
  }

  const body = renderDashboard(await readDashboardView(db, repoFullName));
  const hash = bodyHash(body);
  const repo = { fullName: repoFullName, installationId: target.installationId };
  const open = async () => {
    const made = await ensureDashboardIssue(db, repo, hash, async () =>
      (await gh()).createIssue(DASHBOARD_ISSUE_TITLE, body),
    );
    if (made.created) log.info({ issue: made.issue }, "dashboard issue opened");
    return made;
  };

  let issue = target.issue;
  if (issue === null) {
    const made = await open();
    if (made.created) return { kind: "created", issue: made.issue };
    issue = made.issue;
  }
  const claim = await claimBodyWrite(db, repoFullName, issue, hash);
  if (!claim && !options.force) return { kind: "unchanged", issue };
  let written: "updated" | "gone";
  try {
    written = await (await gh()).updateIssue(issue, body);
  } catch (error) {
    if (claim) await releaseBodyWrite(db, repoFullName, hash, claim.previous);
    throw error;
  }
  if (written === "gone") {
    await detachDashboardIssue(db, repoFullName, issue);
    log.warn({ issue }, "dashboard issue was deleted; opening a new one");
    const made = await open();
    return made.created
      ? { kind: "created", issue: made.issue }
      : { kind: "unchanged", issue: made.issue };
  }
  const superseded = (await currentBodyHash(db, repoFullName)) !== hash;
  log.debug({ issue, superseded }, "dashboard issue updated");
  return { kind: "updated", issue, superseded };
}
