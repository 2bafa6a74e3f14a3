import type { PullCheck, PullReview, ReviewComment } from "../github/pull-github.js";

/** Each check's or comment's text is capped so one noisy log cannot crowd out the prompt. */
const MAX_PART = 4_000;

const capped = (text: string) =>
  text.length > MAX_PART ? `${text.slice(0, MAX_PART)}\n\n(cut at ${MAX_PART} characters)` : text;

/** The prompt context of a fix attempt after failed checks: each one's title and summary. */
export function failedChecksContext(checks: readonly PullCheck[]): string {
  const failed = checks.filter((c) => c.state === "failure");
  const parts = failed.map((c) => {
    const lines = [`### ${c.name} (${c.source === "status" ? "commit status" : "check run"})`];
    if (c.title) lines.push("", `**${c.title}**`);
    if (c.summary && c.summary !== c.title) lines.push("", capped(c.summary));
    if (c.url) lines.push("", `Details: ${c.url}`);
    return lines.join("\n");
  });
  return [
    "## Failed checks on the pull request",
    "",
    "Make these checks pass without changing what the issue asks for.",
    "",
    ...parts.flatMap((p) => [p, ""]),
  ]
    .join("\n")
    .trimEnd();
}

/** The prompt context of a fix attempt after a review that requested changes. */
export function reviewContext(review: PullReview, comments: readonly ReviewComment[]): string {
  const lines = [`## Changes requested by @${review.user}`, ""];
  lines.push(review.body.trim() ? capped(review.body.trim()) : "(no summary in the review)");
  if (comments.length) {
    lines.push("", "### Review comments", "");
    for (const c of comments) {
      const where = c.line === null ? `\`${c.path}\`` : `\`${c.path}\` line ${c.line}`;
      lines.push(`- ${where}: ${capped(c.body.trim()).replace(/\n/g, "\n  ")}`);
    }
  }
  return lines.join("\n");
}
