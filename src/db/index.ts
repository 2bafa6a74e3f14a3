export { createDb, type Db, type DbOrTx, type Schema, type Tx } from "./client.js";
export { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "./embedded.js";
export { MIGRATIONS_FOLDER, migrate } from "./migrate.js";
export { type Listener, listen, notifyInTx, TASK_CANCELLED, TASK_QUEUED } from "./notify.js";
export * from "./queries/index.js";
export type { Attempt, Event, Runner, Task } from "./schema.js";
export { dbNowPlus } from "./sql-time.js";
export * from "./task-states.js";
export { type TaskSet, type TransitionInput, transitionTask } from "./transition.js";
