import type { TaskRef } from "../ops/levers.js";

const REPO = /^[\w.-]+\/[\w.-]+$/;
const TASK = /^([\w.-]+\/[\w.-]+)#(\d+)$/;

export class RefError extends Error {}

export function parseRepoRef(text: string): string {
  const repo = text.trim();
  if (!REPO.test(repo)) {
    throw new RefError(`"${text}" is not a repository; expected owner/repo, e.g. octo/app`);
  }
  return repo;
}

export function parseTaskRef(text: string): TaskRef {
  const match = TASK.exec(text.trim());
  const number = Number(match?.[2]);
  if (!match?.[1] || !Number.isSafeInteger(number) || number < 1) {
    throw new RefError(
      `"${text}" is not an issue reference; expected owner/repo#number, e.g. octo/app#12`,
    );
  }
  return { repoFullName: match[1], number };
}
