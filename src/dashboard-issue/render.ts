import type { TaskKind } from "../db/schema.js";
import type { TaskState } from "../db/task-states.js";
import { retryMarker } from "./checkboxes.js";

export const DASHBOARD_ISSUE_TITLE = "agent-fleet dashboard";
/** First line of every dashboard body: tells readers (and tools) who keeps the issue. */
export const DASHBOARD_MARKER = "<!-- agent-fleet-dashboard -->";

/** One task as the dashboard shows it. */
export interface DashboardTask {
  taskId: number;
  kind: TaskKind;
  issue: number;
  title: string;
  state: TaskState;
  pr: number | null;
  attempt: number;
  /** Why it waits on humans, why it failed, or the PR that undid it: one line, shortened. */
  note: string | null;
  /** retry_wait: when the next attempt is due. */
  runAfter: Date | null;
}

export interface DashboardView {
  repoFullName: string;
  paused: { since: Date; reason: string | null } | null;
  /** `.github/fleet.yml` on the default branch is invalid: the problems and their issue. */
  configError: { problems: number; issue: number | null } | null;
  awaitingReview: readonly DashboardTask[];
  failed: readonly DashboardTask[];
  running: readonly DashboardTask[];
  queued: readonly DashboardTask[];
  openPulls: readonly DashboardTask[];
  reverted: readonly DashboardTask[];
}

/** GitHub refuses issue bodies over 65536 characters; long sections are cut well before. */
export const MAX_ROWS_PER_SECTION = 50;
const MAX_NOTE_CHARS = 200;

/**
 * Text from issue titles and errors, made inert: no markup, no HTML comment (a title must not
 * forge a retry box), no @mention that would notify someone on every rewrite.
 */
export function inlineText(text: string, max = MAX_NOTE_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replaceAll("@", "@&#8203;");
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function subject(task: DashboardTask): string {
  const title = inlineText(task.title);
  return task.kind === "revert" ? `#${task.issue} revert: ${title}` : `#${task.issue} ${title}`;
}

function pr(task: DashboardTask): string {
  return task.pr === null ? "" : ` — PR #${task.pr}`;
}

function note(task: DashboardTask): string {
  return task.note ? `: ${inlineText(task.note)}` : "";
}

const LINES: Record<keyof SectionKeys, (task: DashboardTask) => string> = {
  awaitingReview: (t) => `- ${subject(t)}${pr(t)}${note(t)}`,
  failed: (t) =>
    `- [ ] ${retryMarker(t.taskId)} retry #${t.issue} ${inlineText(t.title)}` +
    ` (${t.attempt} attempt${t.attempt === 1 ? "" : "s"})${pr(t)}${note(t)}`,
  running: (t) => `- ${subject(t)}${pr(t)} (attempt ${t.attempt})`,
  queued: (t) =>
    `- ${subject(t)}${pr(t)}` +
    (t.state === "retry_wait" && t.runAfter ? ` (retry after ${utc(t.runAfter)})` : ""),
  openPulls: (t) => `- ${subject(t)}${pr(t)}${t.state === "merging" ? " (merging)" : ""}`,
  reverted: (t) => `- ${subject(t)}${pr(t)}${note(t)}`,
};

type SectionKeys = Pick<
  DashboardView,
  "awaitingReview" | "failed" | "running" | "queued" | "openPulls" | "reverted"
>;

const SECTIONS: ReadonlyArray<{ key: keyof SectionKeys; heading: string; intro?: string }> = [
  { key: "awaitingReview", heading: "Awaiting review" },
  {
    key: "failed",
    heading: "Failed",
    intro: "Tick a box to queue the task again with a fresh attempt budget (writers only).",
  },
  { key: "running", heading: "Running" },
  { key: "queued", heading: "Queued" },
  { key: "openPulls", heading: "Open pull requests" },
  { key: "reverted", heading: "Recently reverted" },
];

function section(view: DashboardView, spec: (typeof SECTIONS)[number]): string | null {
  const tasks = view[spec.key];
  if (tasks.length === 0) return null;
  const shown = tasks.slice(0, MAX_ROWS_PER_SECTION).map(LINES[spec.key]);
  const hidden = tasks.length - shown.length;
  if (hidden > 0) shown.push(`- …and ${hidden} more`);
  return [
    `## ${spec.heading} (${tasks.length})`,
    ...(spec.intro ? [spec.intro, ""] : []),
    ...shown,
  ].join("\n");
}

function banners(view: DashboardView): string[] {
  const out: string[] = [];
  if (view.paused) {
    const why = view.paused.reason ? `: ${inlineText(view.paused.reason)}` : "";
    out.push(
      `> [!WARNING]\n> **Paused** since ${utc(view.paused.since)}${why}.\n` +
        "> No new agents are dispatched and nothing merges until a writer comments `/fleet resume`.",
    );
  }
  if (view.configError) {
    const where = view.configError.issue === null ? "" : ` (see #${view.configError.issue})`;
    const n = view.configError.problems;
    out.push(
      `> [!CAUTION]\n> \`.github/fleet.yml\` on the default branch is **invalid** ` +
        `(${n} problem${n === 1 ? "" : "s"})${where}. No agents are dispatched until it is fixed.`,
    );
  }
  return out;
}

/** The dashboard issue's body: the same view always gives the same text, so a hash tells changes. */
export function renderDashboard(view: DashboardView): string {
  const parts = [
    DASHBOARD_MARKER,
    `This issue lists what agent-fleet is doing in ${inlineText(view.repoFullName)}; it is rewritten as tasks move. Set \`dashboard: false\` in \`.github/fleet.yml\` to close it.`,
    ...banners(view),
  ];
  const sections = SECTIONS.map((spec) => section(view, spec)).filter((s) => s !== null);
  parts.push(
    ...(sections.length ? sections : ["Nothing in flight: no task is queued, running or failed."]),
  );
  return `${parts.join("\n\n").trimEnd()}\n`;
}
