import type { Task, TaskWork } from "../db/schema.js";

/** What a claim of this task does; a revert task reverts unless the policy queued other work. */
export function workOf(task: Task): TaskWork {
  return task.kind === "revert" && task.work === "implement" ? "revert" : task.work;
}
