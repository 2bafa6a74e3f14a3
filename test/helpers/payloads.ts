import examples from "@octokit/webhooks-examples";

type Example = Record<string, unknown> & { action: string };

/** A real `issues` payload from @octokit/webhooks-examples, adjusted for one test. */
export function issuesPayload(
  action: "labeled" | "unlabeled" | "closed" | "opened",
  overrides: { label?: string; sender?: string; installationId?: number; number?: number } = {},
) {
  const group = (examples as unknown as { name: string; examples: Example[] }[]).find(
    (e) => e.name === "issues",
  );
  const source =
    group?.examples.find((e) => e.action === action) ??
    group?.examples.find((e) => e.action === "labeled");
  if (!source) throw new Error("no issues example payload");
  // biome-ignore lint/suspicious/noExplicitAny: a fixture payload edited in place
  const payload = structuredClone(source) as Record<string, any>;
  payload.action = action;
  payload.installation = {
    id: overrides.installationId ?? 4242,
    node_id: "MDIzOkludGVncmF0aW9uNDI0Mg==",
  };
  if (overrides.number !== undefined) payload.issue.number = overrides.number;
  if (action === "labeled" || action === "unlabeled") {
    payload.label = { ...(payload.label ?? {}), name: overrides.label ?? "agent-ready" };
  } else {
    delete payload.label;
  }
  if (overrides.sender) payload.sender = { ...payload.sender, login: overrides.sender };
  return payload;
}

/** A real `issue_comment.created` payload, with the comment body and sender of the test. */
export function commentPayload(
  body: string,
  overrides: { sender?: string; pullRequest?: boolean } = {},
) {
  const group = (examples as unknown as { name: string; examples: Example[] }[]).find(
    (e) => e.name === "issue_comment",
  );
  const source = group?.examples.find(
    (e) => e.action === "created" && !(e.issue as { pull_request?: unknown }).pull_request,
  );
  if (!source) throw new Error("no issue_comment example payload");
  // biome-ignore lint/suspicious/noExplicitAny: a fixture payload edited in place
  const payload = structuredClone(source) as Record<string, any>;
  payload.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uNDI0Mg==" };
  payload.comment.body = body;
  if (overrides.sender) payload.sender = { ...payload.sender, login: overrides.sender };
  if (overrides.pullRequest) payload.issue.pull_request = { url: "https://example.invalid/pr" };
  return payload;
}
