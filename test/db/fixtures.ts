import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../src/db/client.js";
import type { EnqueueInput } from "../../src/db/queries/enqueue.js";

let nextIssue = 1;

/** A valid enqueue input; each call gets a new issue number unless one is given. */
export function taskInput(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  const issueNumber = overrides.issueNumber ?? nextIssue++;
  return {
    repoFullName: "octo/repo",
    repoId: 42,
    installationId: 7,
    issueNumber,
    issueTitle: `Issue ${issueNumber}`,
    issueBody: "Please fix it.",
    defaultBranch: "main",
    cloneUrl: "file:///nowhere/repo.git",
    requestedBy: "octocat",
    config: { agent: { adapter: "command" } },
    ...overrides,
  };
}

export async function countRows(db: DbOrTx, query: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from (${query}) q`,
  );
  return rows[0]?.n ?? -1;
}

/** Resolves with the first value `register` hands to its callback, or rejects after timeoutMs. */
export function firstCallback<T>(timeoutMs = 10_000): {
  callback: (value: T) => void;
  promise: Promise<T>;
} {
  let callback!: (value: T) => void;
  const promise = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no callback within ${timeoutMs} ms`)),
      timeoutMs,
    );
    callback = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
  return { callback, promise };
}
