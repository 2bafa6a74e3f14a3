import { randomBytes } from "node:crypto";
import { Html, html } from "./html.js";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: #0969da; } .muted { color: #656d76; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .6rem .25rem 0; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { font-weight: 600; } td.num { font-variant-numeric: tabular-nums; }
.state { font-family: ui-monospace, monospace; padding: 0 .35rem; border-radius: .3rem; background: #eaeef2; }
.state-failed, .state-reverted, .late { background: #ffebe9; color: #82071e; }
.state-verified, .state-merged { background: #dafbe1; color: #116329; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; } .counts div { border: 1px solid #d8dee4; border-radius: .4rem; padding: .3rem .6rem; }
pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #d8dee4; margin-bottom: 1rem; }
body[data-live="on"] #live::before { content: "● live"; color: #1a7f37; }
body:not([data-live="on"]) #live::before { content: "○ reconnecting"; color: #9a6700; }
`;

// Refreshes the page's content from its fragment URL whenever the server announces a change.
const SCRIPT = `
(() => {
  const content = document.getElementById("content");
  const taskId = content.dataset.task;
  let busy = false, again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(content.dataset.fragment, { credentials: "same-origin" });
      if (response.ok) content.innerHTML = await response.text();
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }
  const events = new EventSource("/fleet/events");
  events.onopen = () => { document.body.dataset.live = "on"; };
  events.onerror = () => { document.body.dataset.live = "off"; };
  events.addEventListener("task", (e) => {
    if (!taskId || String(JSON.parse(e.data).taskId) === taskId) refresh();
  });
  events.addEventListener("refresh", refresh);
  // Ages and elapsed times move without events: refresh them now and then.
  const every = Number(content.dataset.refresh);
  if (every > 0) setInterval(refresh, every);
})();
`;

export interface Page {
  html: string;
  /** The Content-Security-Policy that lets exactly this page's inline style and script run. */
  contentSecurityPolicy: string;
}

/** A whole page: its content sits in #content, which the script swaps for a fresh fragment. */
export function layout(input: {
  title: string;
  content: Html;
  /** Where the script fetches the content from again (the same page with ?fragment=1). */
  fragmentUrl: string;
  /** On a task page: only that task's events refresh it. */
  taskId?: number;
  /** Real ms between refreshes that no event asked for; 0: only on events. */
  refreshMs: number;
}): Page {
  const nonce = randomBytes(16).toString("base64");
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title}</title>
<style nonce="${nonce}">${new Html(STYLE)}</style>
</head>
<body>
<header><a href="/fleet"><h1>agent-fleet</h1></a><span id="live" class="muted"></span></header>
<main id="content" data-fragment="${input.fragmentUrl}" data-task="${input.taskId ?? ""}" data-refresh="${input.refreshMs}">${input.content}</main>
<script nonce="${nonce}">${new Html(SCRIPT)}</script>
</body>
</html>
`;
  return {
    html: page.value,
    contentSecurityPolicy: [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  };
}

/** A task state as a badge; `data-state` lets scripts and tests find it. */
export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}" data-state="${state}">${state}</span>`;
}
