import type { Clock } from "../config/clock.js";
import { formatDuration } from "../config/durations.js";
import type { Attempt, Event, Task } from "../db/schema.js";
import { redactText } from "../log.js";
import type { TaskDetail } from "./dashboard-data.js";
import { type Html, html, safeHref, timestamp } from "./html.js";
import { stateBadge } from "./layout.js";

/** Secrets of this process to strip from stored text, on top of redactText's patterns. */
export interface TaskPageOptions {
  clock: Clock;
  secrets?: readonly string[];
}

function cost(usd: number | null): string {
  return usd === null ? "" : `$${usd.toFixed(4)}`;
}

function shortSha(sha: string | null): Html {
  return sha ? html`<code title="${sha}">${sha.slice(0, 12)}</code>` : html``;
}

function attemptDuration(a: Attempt, now: number): string {
  const end = a.endedAt?.getTime() ?? now;
  const ms = Math.max(0, end - a.startedAt.getTime());
  return a.endedAt ? formatDuration(ms) : `${formatDuration(ms)} so far`;
}

function summary(task: Task): Html {
  return html`<dl id="summary">
<dt>state</dt><dd>${stateBadge(task.state)}</dd>
<dt>kind</dt><dd>${task.kind}</dd>
<dt>work</dt><dd>${task.work}</dd>
<dt>attempts</dt><dd>${task.attempt} (fix attempts ${task.fixAttempts})</dd>
<dt>requested by</dt><dd>${task.requestedBy}</dd>
<dt>created</dt><dd>${timestamp(task.createdAt)}</dd>
<dt>updated</dt><dd>${timestamp(task.updatedAt)}</dd>
${task.state === "retry_wait" ? html`<dt>retry after</dt><dd>${timestamp(task.runAfter)}</dd>` : ""}
${task.revertOfTaskId === null ? "" : html`<dt>reverts</dt><dd><a href="/fleet/tasks/${task.revertOfTaskId}">task ${task.revertOfTaskId}</a> ${shortSha(task.revertSha)}</dd>`}
</dl>`;
}

function pullSection(task: Task): Html {
  if (task.prNumber === null && task.prUrl === null) {
    return html`<p class="muted" id="pull">no pull request yet</p>`;
  }
  const href = safeHref(task.prUrl);
  const label = task.prNumber === null ? (task.prUrl ?? "") : `#${task.prNumber}`;
  return html`<dl id="pull">
<dt>pull request</dt><dd>${href ? html`<a href="${href}">${label}</a>` : label}</dd>
${task.branch ? html`<dt>branch</dt><dd><code>${task.branch}</code></dd>` : ""}
${task.headSha ? html`<dt>head</dt><dd>${shortSha(task.headSha)}</dd>` : ""}
<dt>decision</dt><dd data-decision="${task.decision ?? ""}">${task.decision ?? "not judged yet"}</dd>
${task.decisionReason ? html`<dt>reason</dt><dd>${task.decisionReason}</dd>` : ""}
${task.flaggedReason ? html`<dt>flagged</dt><dd class="late">${task.flaggedReason}</dd>` : ""}
${task.checksDeadlineAt ? html`<dt>checks flagged at</dt><dd>${timestamp(task.checksDeadlineAt)}</dd>` : ""}
</dl>`;
}

function postMergeSection(detail: TaskDetail): Html {
  const { task, reverts } = detail;
  if (!task.mergeSha) return html`<p class="muted" id="post-merge">not merged</p>`;
  const result =
    task.state === "verified"
      ? html`<span class="state state-verified">verified</span>`
      : task.state === "reverted"
        ? html`<span class="state state-reverted">reverted</span>`
        : html`waiting for the checks on the merge commit${
            task.verifyDeadlineAt ? html`, until ${timestamp(task.verifyDeadlineAt)}` : ""
          }`;
  return html`<dl id="post-merge">
<dt>merge commit</dt><dd>${shortSha(task.mergeSha)}</dd>
<dt>merged</dt><dd>${timestamp(task.mergedAt)}</dd>
<dt>result</dt><dd>${result}</dd>
${reverts.map((r) => {
  const href = safeHref(r.prUrl);
  return html`<dt>revert</dt><dd><a href="/fleet/tasks/${r.id}">task ${r.id}</a> ${stateBadge(r.state)}
${r.prNumber === null ? "" : href ? html` <a href="${href}">#${r.prNumber}</a>` : ` #${r.prNumber}`}</dd>`;
})}
</dl>`;
}

function attemptsSection(attempts: Attempt[], options: TaskPageOptions): Html {
  if (attempts.length === 0) return html`<p class="muted">no attempt yet</p>`;
  const now = options.clock.now();
  const rows = attempts.map(
    (
      a,
    ) => html`<tr data-attempt="${a.number}"><td class="num">${a.number}</td><td>${a.runnerId}</td>
<td>${a.state === "running" ? stateBadge("running") : (a.outcome ?? "")}</td>
<td class="num">${a.signal ?? (a.exitCode === null ? "" : a.exitCode)}</td>
<td>${timestamp(a.startedAt)}</td><td class="num">${attemptDuration(a, now)}</td>
<td class="num">${cost(a.costUsd)}</td><td class="num">${a.turns ?? ""}</td></tr>`,
  );
  const logs = attempts.map(
    (a) =>
      html`<h3>Attempt ${a.number} output</h3>${
        a.logTail === null
          ? html`<p class="muted" data-log="${a.number}">no output kept</p>`
          : html`<pre data-log="${a.number}">${redactText(a.logTail, options.secrets)}</pre>`
      }`,
  );
  return html`<table id="attempts"><thead><tr><th>#</th><th>runner</th><th>outcome</th><th>exit</th>
<th>started</th><th>duration</th><th>cost</th><th>turns</th></tr></thead><tbody>${rows}</tbody></table>
${logs}`;
}

function timeline(events: Event[], attempts: Attempt[], options: TaskPageOptions): Html {
  const attemptNumber = new Map(attempts.map((a) => [a.id, a.number]));
  const rows = events.map((e) => {
    const data = Object.keys(e.data).length
      ? redactText(JSON.stringify(e.data), options.secrets)
      : "";
    return html`<tr data-event="${e.kind}"><td>${timestamp(e.at)}</td><td>${e.kind}</td>
<td>${e.fromState ? html`${stateBadge(e.fromState)} → ` : ""}${e.toState ? stateBadge(e.toState) : ""}</td>
<td class="num">${e.attemptId === null ? "" : (attemptNumber.get(e.attemptId) ?? "")}</td>
<td><code>${data}</code></td></tr>`;
  });
  return html`<table id="timeline"><thead><tr><th>at</th><th>event</th><th>state</th><th>attempt</th>
<th>details</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** One task: what it is, its PR and merge, its attempts with their output, every event. */
export function taskContent(detail: TaskDetail, options: TaskPageOptions): Html {
  const { task } = detail;
  const spent = detail.attempts.reduce((sum, a) => sum + (a.costUsd ?? 0), 0);
  const anyCost = detail.attempts.some((a) => a.costUsd !== null);
  return html`<h1 id="title">Task ${task.id}: ${task.issueTitle}</h1>
<p>${task.repoFullName}#${task.issueNumber}${anyCost ? html` · spent ${cost(spent)}` : ""}</p>
${summary(task)}
${task.lastError ? html`<h2>Last error</h2><pre id="last-error">${redactText(task.lastError, options.secrets)}</pre>` : ""}
<h2>Pull request</h2>${pullSection(task)}
<h2>After the merge</h2>${postMergeSection(detail)}
<h2>Attempts</h2>${attemptsSection(detail.attempts, options)}
<h2>Timeline</h2>${timeline(detail.events, detail.attempts, options)}
<p class="muted">as of ${timestamp(new Date(options.clock.now()))}</p>`;
}
