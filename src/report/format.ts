import { textTable } from "../cli/text-table.js";
import { formatDuration } from "../config/durations.js";
import type { AttemptRef, BudgetStop, MorningReport, PolicyEvent, WorkCounters } from "./types.js";

/** Longer lists are cut here; the JSON output keeps every row. */
const MAX_ROWS = 20;

/** The report as plain-text tables for a terminal. */
export function formatReportText(report: MorningReport): string {
  const out: string[] = [`agent-fleet report: ${windowLine(report)}`, ""];

  const w = report.wakeups;
  out.push("wake-ups and work (per runner process, since its start)");
  out.push(
    w.runners.length
      ? textTable(
          ["runner", "host", "state", "since", "wake-ups", "claim queries", "claims", "idle share"],
          [
            ...w.runners.map((r) => [r.id, r.hostname, r.state, time(r.startedAt), ...counts(r)]),
            ["total", "", "", "", ...counts(w.totals)],
          ],
        )
      : "  no runner renewed its lease in the window",
  );
  out.push(...wrap(w.scope, 96).map((line) => `  ${line}`), "");

  const d = report.dispatches;
  out.push(
    `dispatches: ${d.total} attempt${plural(d.total)} on ${d.issues} issue${plural(d.issues)}, ${d.duplicates.length} duplicate${plural(d.duplicates.length)}`,
  );
  if (d.perIssue.length) {
    out.push(
      textTable(
        ["issue", "dispatches", "outcomes"],
        d.perIssue
          .slice(0, MAX_ROWS)
          .map((i) => [`${i.repo}#${i.issue}`, String(i.dispatches), i.outcomes.join(", ")]),
      ),
    );
    if (d.perIssue.length > MAX_ROWS) out.push(`  and ${d.perIssue.length - MAX_ROWS} more`);
  }
  for (const dup of d.duplicates) {
    out.push(
      `  duplicate: ${dup.repo}#${dup.issue} attempt ${dup.attempt} started ${time(dup.startedAt)}`,
    );
  }
  out.push("");

  const p = report.policy;
  out.push(
    `merge policy: ${p.merged.length} merged, ${p.flagged.length} flagged, ${p.reverted.length} reverted`,
  );
  for (const [label, list] of policyLists(report)) {
    for (const e of list) out.push(`  ${label.padEnd(8)} ${policyLine(e)}`);
  }
  out.push("");

  const a = report.attempts;
  out.push(`attempts: ${a.started} started, ${a.finished} finished${outcomeList(a.byOutcome)}`);
  out.push(
    `  stalled ${a.stalled}, timed out ${a.timedOut}, crashed ${a.crashed}, lost ${a.lost}, runner errors ${a.runnerErrors}, adopted ${a.adopted}`,
  );
  out.push(
    `longest attempt: ${report.longestAttempt ? attemptLine(report.longestAttempt) : "none"}`,
  );
  out.push(`cost: ${costLine(report)}`, "");

  out.push("attempt run time per hour (UTC)");
  out.push(
    textTable(
      ["hour", "busy", "agents on average"],
      report.busyByHour.map((h) => [
        h.hour.slice(11, 16),
        formatDuration(h.busyMs),
        h.spanMs > 0 ? (h.busyMs / h.spanMs).toFixed(2) : "0.00",
      ]),
    ),
    "",
  );

  const b = report.budget;
  out.push(
    `budget stops: ${b.exhausted.length} daily budget${plural(b.exhausted.length)} exhausted, ${b.overBudget.length} attempt${plural(b.overBudget.length)} over budget`,
  );
  for (const stop of b.exhausted.slice(0, MAX_ROWS)) out.push(`  ${budgetLine(stop)}`);
  if (b.exhausted.length > MAX_ROWS) out.push(`  and ${b.exhausted.length - MAX_ROWS} more`);
  for (const ref of b.overBudget) out.push(`  over budget: ${attemptLine(ref)}`);
  out.push("");

  const failed = report.failures.reduce((n, f) => n + f.count, 0);
  out.push(
    `failures by cause: ${report.failures.length} cause${plural(report.failures.length)}, ${failed} attempt${plural(failed)}`,
  );
  for (const f of report.failures) {
    out.push(
      `  ${f.count}x ${f.cause}  [${f.fingerprint}${f.infrastructure ? ", infrastructure" : ""}]`,
    );
    for (const e of f.examples) {
      out.push(`     ${e.repo}#${e.issue} attempt ${e.attempt}: ${e.message}`);
    }
  }
  return out.join("\n");
}

/** The report as GitHub markdown: the body of the posted report issue. */
export function formatReportMarkdown(report: MorningReport): string {
  const out: string[] = [`**Window:** ${windowLine(report)}`, "", "### Wake-ups and work", ""];
  const w = report.wakeups;
  out.push(
    w.runners.length
      ? mdTable(
          ["runner", "host", "state", "since", "wake-ups", "claim queries", "claims", "idle share"],
          [
            ...w.runners.map((r) => [r.id, r.hostname, r.state, time(r.startedAt), ...counts(r)]),
            ["**total**", "", "", "", ...counts(w.totals)],
          ],
        )
      : "No runner renewed its lease in the window.",
    "",
    `_${w.scope}_`,
    "",
  );

  const d = report.dispatches;
  out.push(
    "### Dispatches",
    "",
    `${d.total} attempt${plural(d.total)} on ${d.issues} issue${plural(d.issues)}; ${d.duplicates.length ? `**${d.duplicates.length} duplicate${plural(d.duplicates.length)}**` : "no duplicates"}.`,
    "",
  );
  if (d.perIssue.length) {
    out.push(
      mdTable(
        ["issue", "dispatches", "outcomes"],
        d.perIssue
          .slice(0, MAX_ROWS)
          .map((i) => [mdRef(i.repo, i.issue), String(i.dispatches), i.outcomes.join(", ")]),
      ),
      "",
    );
    if (d.perIssue.length > MAX_ROWS) out.push(`…and ${d.perIssue.length - MAX_ROWS} more.`, "");
  }
  for (const dup of d.duplicates) {
    out.push(
      `- duplicate: ${mdRef(dup.repo, dup.issue)} attempt ${dup.attempt}, started ${time(dup.startedAt)}`,
    );
  }
  if (d.duplicates.length) out.push("");

  const p = report.policy;
  out.push(
    "### Merge policy",
    "",
    `${p.merged.length} merged, ${p.flagged.length} flagged, ${p.reverted.length} reverted.`,
    "",
  );
  const policyRows = policyLists(report).flatMap(([label, list]) =>
    list.map((e) => [
      label,
      mdRef(e.repo, e.issue),
      e.pr === null ? "" : mdRef(e.repo, e.pr),
      time(e.at),
      e.reason ?? "",
    ]),
  );
  if (policyRows.length) {
    out.push(mdTable(["", "issue", "PR", "at", "reason"], policyRows), "");
  }

  const a = report.attempts;
  out.push(
    "### Attempts",
    "",
    `${a.started} started, ${a.finished} finished${outcomeList(a.byOutcome)}.`,
    "",
    mdTable(
      ["stalled", "timed out", "crashed", "lost", "runner errors", "adopted"],
      [[a.stalled, a.timedOut, a.crashed, a.lost, a.runnerErrors, a.adopted].map(String)],
    ),
    "",
    `- longest attempt: ${report.longestAttempt ? attemptLine(report.longestAttempt, mdRef) : "none"}`,
    `- cost: ${costLine(report, mdRef)}`,
    "",
    "<details><summary>Attempt run time per hour (UTC)</summary>",
    "",
    mdTable(
      ["hour", "busy", "agents on average"],
      report.busyByHour.map((h) => [
        h.hour.slice(11, 16),
        formatDuration(h.busyMs),
        h.spanMs > 0 ? (h.busyMs / h.spanMs).toFixed(2) : "0.00",
      ]),
    ),
    "",
    "</details>",
    "",
  );

  const b = report.budget;
  out.push(
    "### Budget stops",
    "",
    `${b.exhausted.length} daily budget${plural(b.exhausted.length)} exhausted, ${b.overBudget.length} attempt${plural(b.overBudget.length)} over budget.`,
    "",
  );
  for (const stop of b.exhausted.slice(0, MAX_ROWS)) out.push(`- ${budgetLine(stop, mdRef)}`);
  if (b.exhausted.length > MAX_ROWS) out.push(`- …and ${b.exhausted.length - MAX_ROWS} more`);
  for (const ref of b.overBudget) out.push(`- over budget: ${attemptLine(ref, mdRef)}`);
  if (b.exhausted.length || b.overBudget.length) out.push("");

  out.push("### Failures by cause", "");
  if (report.failures.length === 0) out.push("No failed attempts.");
  for (const f of report.failures) {
    out.push(
      `- **${f.count}×** \`${code(f.cause)}\` (fingerprint \`${f.fingerprint}\`${f.infrastructure ? ", infrastructure" : ""})`,
    );
    for (const e of f.examples) {
      out.push(`  - ${mdRef(e.repo, e.issue)} attempt ${e.attempt}: ${inline(e.message)}`);
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function windowLine(report: MorningReport): string {
  const repos = report.repos === null ? "all repos" : report.repos.join(", ") || "no repos";
  return `${time(report.window.from)} to ${time(report.window.to)} UTC (${formatDuration(report.window.ms)}), ${repos}`;
}

function counts(c: WorkCounters): string[] {
  return [
    String(c.wakeups),
    String(c.claimQueries),
    String(c.claims),
    c.idleShare === null ? "n/a" : `${(c.idleShare * 100).toFixed(1)}%`,
  ];
}

function policyLists(report: MorningReport): Array<[string, PolicyEvent[]]> {
  const p = report.policy;
  return [
    ["merged", p.merged],
    ["flagged", p.flagged],
    ["reverted", p.reverted],
  ];
}

function policyLine(e: PolicyEvent): string {
  const pr = e.pr === null ? "" : ` PR #${e.pr}`;
  return `${e.repo}#${e.issue}${pr} at ${time(e.at)}${e.reason ? `: ${e.reason}` : ""}`;
}

type RefStyle = (repo: string, issue: number) => string;

const textRef: RefStyle = (repo, issue) => `${repo}#${issue}`;

/**
 * An issue or PR as code: a plain reference would link to the report's own repo (a bare #n) and
 * put a "mentioned" event on every issue the daily report names.
 */
const mdRef: RefStyle = (repo, issue) => `\`${repo}#${issue}\``;

function attemptLine(ref: AttemptRef, style: RefStyle = textRef): string {
  return `${style(ref.repo, ref.issue)} attempt ${ref.attempt}, ${formatDuration(ref.runtimeMs)} (${ref.outcome ?? "still running"})`;
}

function costLine(report: MorningReport, style: RefStyle = textRef): string {
  const c = report.cost;
  if (c.attemptsWithCost === 0) {
    return `no attempt reported a cost (${c.attemptsWithoutCost} finished without one)`;
  }
  const most = c.mostExpensive
    ? `; most: ${style(c.mostExpensive.repo, c.mostExpensive.issue)} attempt ${c.mostExpensive.attempt} ${usd(c.mostExpensive.costUsd)}`
    : "";
  return `${usd(c.totalUsd)} over ${c.attemptsWithCost} attempt${plural(c.attemptsWithCost)} (${c.attemptsWithoutCost} reported none)${most}`;
}

function budgetLine(stop: BudgetStop, style: RefStyle = textRef): string {
  const who =
    stop.installationId === null ? "an installation" : `installation ${stop.installationId}`;
  const spent = stop.spentUsd === null ? "?" : usd(stop.spentUsd);
  const limit = stop.limitUsd === null ? "?" : usd(stop.limitUsd);
  const held =
    stop.repo === null || stop.issue === null ? "" : `; ${style(stop.repo, stop.issue)} waits`;
  return `${who} spent ${spent} of ${limit} at ${time(stop.at)}${held}`;
}

function outcomeList(byOutcome: Record<string, number>): string {
  const entries = Object.entries(byOutcome).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  return entries.length ? ` (${entries.map(([o, n]) => `${o} ${n}`).join(", ")})` : "";
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function time(iso: string): string {
  return iso.slice(0, 16).replace("T", " ");
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}

function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(inline).join(" | ")} |`;
  return [line(headers), `|${headers.map(() => " --- ").join("|")}|`, ...rows.map(line)].join("\n");
}

/** One line of markdown text: no table breaks, no stray HTML. */
function inline(text: string): string {
  return text.replace(/\r?\n/g, " ").replaceAll("|", "\\|").replaceAll("<", "&lt;");
}

function code(text: string): string {
  return text.replaceAll("`", "'");
}
