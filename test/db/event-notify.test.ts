import { describe, expect, it } from "vitest";
import { listen, TASK_EVENT } from "../../src/db/notify.js";
import { enqueueTask } from "../../src/db/queries/enqueue.js";
import { useTestDatabase } from "../support/db.js";
import { firstCallback, taskInput } from "./fixtures.js";

const database = useTestDatabase();

describe("the events trigger", () => {
  it("announces each new event with its task, repo, kind and state on fleet_task_event", async () => {
    const heard = firstCallback<string>();
    const listener = await listen(database.url, [TASK_EVENT], (_channel, payload) =>
      heard.callback(payload),
    );
    try {
      const { task } = await enqueueTask(
        database.db,
        taskInput({ repoFullName: "notify/repo", issueNumber: 9 }),
      );
      expect(task).not.toBeNull();
      const message = JSON.parse(await heard.promise);
      expect(message).toMatchObject({
        taskId: task?.id,
        repo: "notify/repo",
        kind: expect.any(String),
        to: "queued",
      });
      expect(message.id).toEqual(expect.any(Number));
    } finally {
      await listener.close();
    }
  });
});
