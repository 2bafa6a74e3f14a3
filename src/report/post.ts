import type { DbOrTx } from "../db/client.js";
import type { ReportGitHub } from "../github/report-github.js";
import { redactText } from "../log.js";
import { collectReport } from "./collect.js";
import { formatReportMarkdown } from "./format.js";

export const REPORT_LABEL = "fleet:report";

/** GitHub refuses issue bodies over 65536 characters. */
const MAX_BODY = 65_000;

/** Posts the morning report of `repos` over [from, to) as a new issue in `target`. */
export async function postReport(
  deps: { db: DbOrTx; github: ReportGitHub },
  input: { target: string; repos: readonly string[]; from: Date; to: Date },
): Promise<number> {
  const report = await collectReport(deps.db, {
    from: input.from,
    to: input.to,
    repos: input.repos,
  });
  const title = `agent-fleet report ${input.to.toISOString().slice(0, 10)}`;
  const markdown = redactText(formatReportMarkdown(report));
  const body =
    markdown.length > MAX_BODY
      ? `${markdown.slice(0, MAX_BODY)}\n\n…cut short; \`fleet report --json\` has everything.\n`
      : markdown;
  return deps.github.createIssue(input.target, title, body, [REPORT_LABEL]);
}
