export type { FinishAttemptInput } from "./attempts.js";
export { finishAttempt, recordAttemptHeartbeat, recordAttemptProcess } from "./attempts.js";
export { CANCELLABLE_STATES, type CancelNotice, cancelActiveTask } from "./cancel.js";
export { type ClaimInput, claimNextTask } from "./claim.js";
export { recordDelivery } from "./deliveries.js";
export { recordDeliveryOnce } from "./delivery-once.js";
export { type EnqueueInput, type EnqueueResult, enqueueTask } from "./enqueue.js";
export { recordEvent } from "./events.js";
export { type HumanRetryResult, requeueFailedTask } from "./human-retry.js";
export {
  cancelPullTask,
  claimChecksDeadline,
  claimVerifyDeadline,
  dueChecksDeadlines,
  dueVerifyDeadlines,
  findMergedTasksForSha,
  findMergingTasks,
  findOpenPullTasks,
  findPullTasksForCheck,
  findTaskForPull,
  insertRevertTask,
  latestTaskEvent,
  nextPullDeadline,
  PULL_STATES,
  queuePullWork,
  updatePullTask,
} from "./pulls.js";
export { findActiveTask, getTask, latestTaskFor, listEvents, listTasks } from "./read.js";
export {
  listAttempts,
  listHeldAttempts,
  nextRetryDueAt,
  takeOverExpiredTasks,
} from "./recovery.js";
export { getRepoState, isRepoPaused, pauseRepo, resumeRepo } from "./repo-states.js";
export { requeueDueRetries } from "./retries.js";
export { registerRunner, renewRunnerLease, renewTaskLeases, stopRunner } from "./runners.js";
