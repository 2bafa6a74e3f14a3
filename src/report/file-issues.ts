import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { DbOrTx } from "../db/client.js";
import type { ReportGitHub } from "../github/report-github.js";
import { redactText } from "../log.js";
import { collectFailures } from "./collect.js";
import type { FailureCauseGroup } from "./types.js";

export const FAILURE_LABEL = "fleet:infrastructure";

const MAX_TITLE = 120;

export interface CauseSighting {
  fingerprint: string;
  cause: string;
  /** The issue filed for the cause: now, earlier, or null when filing failed. */
  issue: { repo: string; number: number } | null;
  /** True when this call filed it. */
  filed: boolean;
  occurrences: number;
}

/**
 * Records every infrastructure failure cause of `repos` seen in [from, to) in `failure_causes`
 * and files one issue in `target` for each cause that has none yet, so two runners never file
 * the same cause; a failed call rolls back and the next sighting tries again.
 */
export async function fileFailureIssues(
  deps: { db: DbOrTx; github: ReportGitHub; log: Logger },
  input: { target: string; repos: readonly string[]; from: Date; to: Date },
): Promise<CauseSighting[]> {
  const causes = (
    await collectFailures(deps.db, { from: input.from, to: input.to, repos: input.repos })
  ).filter((c) => c.infrastructure);
  const sightings: CauseSighting[] = [];
  for (const cause of causes) {
    const seen = await recordSightings(deps.db, cause);
    let issue = seen.issue;
    let filed = false;
    if (issue === null) {
      try {
        const outcome = await fileOnce(deps, input.target, cause, seen.occurrences);
        if (outcome) {
          issue = { repo: outcome.repo, number: outcome.number };
          filed = outcome.filed;
          if (filed) {
            deps.log.info({ fingerprint: cause.fingerprint, issue }, "failure cause filed");
          }
        }
      } catch (error) {
        deps.log.warn(
          { err: error, fingerprint: cause.fingerprint },
          "could not file the failure cause; the next sighting tries again",
        );
      }
    }
    sightings.push({
      fingerprint: cause.fingerprint,
      cause: cause.cause,
      issue,
      filed,
      occurrences: seen.occurrences,
    });
  }
  return sightings;
}

/** Counts the sightings: a new row for a new cause, more occurrences for a known one. */
async function recordSightings(
  db: DbOrTx,
  cause: FailureCauseGroup,
): Promise<{ issue: { repo: string; number: number } | null; occurrences: number }> {
  const { rows } = await db.execute<{
    issue_repo: string | null;
    issue_number: number | null;
    occurrences: number;
  }>(sql`
    insert into failure_causes (fingerprint, cause, occurrences, first_seen_at, last_seen_at)
    values (${cause.fingerprint}, ${cause.cause}, ${cause.count},
            ${cause.firstAt}::timestamptz, ${cause.lastAt}::timestamptz)
    on conflict (fingerprint) do update
      set occurrences = failure_causes.occurrences + excluded.occurrences,
          last_seen_at = greatest(failure_causes.last_seen_at, excluded.last_seen_at)
    returning issue_repo, issue_number, occurrences`);
  const row = rows[0];
  if (!row) throw new Error("upsert into failure_causes returned no row");
  return {
    issue:
      row.issue_repo !== null && row.issue_number !== null
        ? { repo: row.issue_repo, number: row.issue_number }
        : null,
    occurrences: row.occurrences,
  };
}

/**
 * Files the cause's issue unless it has one. The row lock is held across the GitHub call: a
 * second runner waits for it, then finds the issue the first one filed.
 */
async function fileOnce(
  deps: { db: DbOrTx; github: ReportGitHub },
  target: string,
  cause: FailureCauseGroup,
  occurrences: number,
): Promise<{ repo: string; number: number; filed: boolean } | null> {
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.execute<{
      issue_repo: string | null;
      issue_number: number | null;
      first_seen_at: string;
    }>(sql`
      select issue_repo, issue_number, first_seen_at from failure_causes
      where fingerprint = ${cause.fingerprint}
      for update`);
    const row = rows[0];
    if (!row) return null;
    if (row.issue_repo !== null && row.issue_number !== null) {
      return { repo: row.issue_repo, number: row.issue_number, filed: false };
    }
    const number = await deps.github.createIssue(
      target,
      issueTitle(cause),
      issueBody(cause, occurrences, new Date(row.first_seen_at)),
      [FAILURE_LABEL],
    );
    await tx.execute(sql`
      update failure_causes set issue_repo = ${target}, issue_number = ${number}
      where fingerprint = ${cause.fingerprint}`);
    return { repo: target, number, filed: true };
  });
}

function issueTitle(cause: FailureCauseGroup): string {
  const title = `agent-fleet failure: ${cause.cause}`;
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
}

function issueBody(cause: FailureCauseGroup, occurrences: number, firstSeen: Date): string {
  const examples = cause.examples.map(
    (e) =>
      `- ${e.repo}#${e.issue} attempt ${e.attempt} (${e.at.slice(0, 16).replace("T", " ")} UTC): ${e.message.replace(/\r?\n/g, " ")}`,
  );
  return redactText(
    [
      "The fleet's morning report found a new infrastructure failure cause.",
      "",
      `- cause: \`${cause.cause.replaceAll("`", "'")}\``,
      `- fingerprint: \`${cause.fingerprint}\``,
      `- outcome: ${cause.outcome}`,
      `- first seen: ${firstSeen.toISOString().slice(0, 16).replace("T", " ")} UTC; ${occurrences} occurrence${occurrences === 1 ? "" : "s"} so far`,
      "",
      "Examples:",
      ...examples,
      "",
      "Later sightings of the same cause are counted under this fingerprint; no other issue is filed for it.",
      "",
    ].join("\n"),
  );
}
