import { observeEvent } from "../../metrics/observe-event.js";
import type { DbOrTx } from "../client.js";
import { type Event, events } from "../schema.js";

/** An event that is not a state change (agent_started, pr_opened, comment_posted, ...). */
export async function recordEvent(
  db: DbOrTx,
  input: { taskId?: number; attemptId?: number; kind: string; data?: Record<string, unknown> },
): Promise<Event> {
  const [event] = await db
    .insert(events)
    .values({
      taskId: input.taskId,
      attemptId: input.attemptId,
      kind: input.kind,
      data: input.data ?? {},
    })
    .returning();
  if (!event) throw new Error("insert into events returned no row");
  observeEvent(db, event);
  return event;
}
