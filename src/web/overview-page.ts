import type { Clock } from "../config/clock.js";
import { formatDuration } from "../config/durations.js";
import { TASK_STATES } from "../db/task-states.js";
import type { RunningAttempt } from "../status/fleet-status.js";
import type { Overview } from "./dashboard-data.js";
import { type Html, html, safeHref, timestamp } from "./html.js";
import { stateBadge } from "./layout.js";

const none = html`<p class="muted">none</p>`;

function taskLink(id: number, text: unknown): Html {
  return html`<a href="/fleet/tasks/${id}">${text}</a>`;
}

function runningRow(r: RunningAttempt, clock: Clock): Html {
  // Ages are real milliseconds; the limit the runner enforces is the configured one, scaled.
  const limitMs = clock.scale(r.timeoutMs);
  const late = r.ageMs > limitMs;
  return html`<tr data-task-id="${r.taskId}">
<td>${taskLink(r.taskId, r.taskId)}</td>
<td>${r.repo}#${r.issue}</td>
<td class="num">${r.attempt}</td>
<td>${r.runner}</td>
<td class="num${late ? " late" : ""}">${formatDuration(r.ageMs)} of ${formatDuration(limitMs)}
<progress max="${limitMs}" value="${Math.min(r.ageMs, limitMs)}"></progress></td>
<td class="num">${r.heartbeatAgeMs === null ? "none yet" : `${formatDuration(r.heartbeatAgeMs)} ago`}</td>
</tr>`;
}

/** The overview's content: what `fleet status` shows, and the tasks that moved last. */
export function overviewContent(overview: Overview, clock: Clock): Html {
  const { status, recent } = overview;
  const counts = TASK_STATES.map(
    (s) =>
      html`<div data-count="${s}">${stateBadge(s)} <strong>${status.tasksByState[s]}</strong></div>`,
  );
  const running = status.running.length
    ? html`<table id="running"><thead><tr><th>task</th><th>issue</th><th>attempt</th><th>runner</th>
<th>elapsed of timeout</th><th>last heartbeat</th></tr></thead>
<tbody>${status.running.map((r) => runningRow(r, clock))}</tbody></table>`
    : none;
  const runners = status.runners.length
    ? html`<table id="runners"><thead><tr><th>runner</th><th>host</th><th>pid</th><th>capacity</th>
<th>state</th><th>lease</th></tr></thead><tbody>${status.runners.map(
        (r) => html`<tr><td>${r.id}</td><td>${r.hostname}</td><td class="num">${r.pid}</td>
<td class="num">${r.capacity}</td><td>${r.state}</td>
<td class="num${r.leaseLeftMs < 0 ? " late" : ""}">${
          r.leaseLeftMs >= 0
            ? `${formatDuration(r.leaseLeftMs)} left`
            : `lapsed ${formatDuration(-r.leaseLeftMs)} ago`
        }</td></tr>`,
      )}</tbody></table>`
    : none;
  const paused = status.pausedRepos.length
    ? html`<table id="paused"><thead><tr><th>repo</th><th>paused for</th><th>reason</th></tr></thead>
<tbody>${status.pausedRepos.map(
        (p) =>
          html`<tr><td>${p.repo}</td><td class="num">${formatDuration(p.sinceMs)}</td><td>${p.reason ?? ""}</td></tr>`,
      )}</tbody></table>`
    : none;
  const broken = status.brokenConfigs.length
    ? html`<h2>Invalid fleet.yml (nothing dispatched)</h2><table id="broken"><tbody>${status.brokenConfigs.map(
        (b) => html`<tr><td>${b.repo}</td><td>${b.issue === null ? "" : `#${b.issue}`}</td></tr>`,
      )}</tbody></table>`
    : html``;
  const tasks = recent.length
    ? html`<table id="recent"><thead><tr><th>task</th><th>issue</th><th>title</th><th>state</th>
<th>attempts</th><th>PR</th><th>updated</th></tr></thead><tbody>${recent.map((t) => {
        const href = safeHref(t.prUrl);
        return html`<tr data-task-id="${t.id}"><td>${taskLink(t.id, t.id)}</td>
<td>${t.repo}#${t.issue}${t.kind === "revert" ? " (revert)" : ""}</td>
<td class="title">${taskLink(t.id, t.title)}</td><td>${stateBadge(t.state)}</td>
<td class="num">${t.attempt}</td>
<td>${t.prNumber === null ? "" : href ? html`<a href="${href}">#${t.prNumber}</a>` : `#${t.prNumber}`}</td>
<td>${timestamp(t.updatedAt)}</td></tr>`;
      })}</tbody></table>`
    : none;

  return html`<h2>Tasks by state</h2><div class="counts" id="counts">${counts}</div>
<h2>Running agents</h2>${running}
<h2>Runners</h2>${runners}
<h2>Paused repos</h2>${paused}
${broken}
<h2>Recent tasks</h2>${tasks}
<p class="muted">as of ${timestamp(new Date(clock.now()))}</p>`;
}
