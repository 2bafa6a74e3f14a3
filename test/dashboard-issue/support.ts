import type {
  DashboardIssueGitHub,
  DashboardIssueGitHubFactory,
} from "../../src/dashboard-issue/sync.js";

export interface FakeIssue {
  title: string;
  body: string;
  state: "open" | "closed";
}

/**
 * GitHub's issues of one repository as a map, shared by every client made from it (so two
 * updaters can talk to "the same GitHub"), with each write it took in order.
 */
export function fakeIssues() {
  const issues = new Map<number, FakeIssue>();
  const writes: string[] = [];
  let nextNumber = 100;
  const failures = { update: 0 };
  const client: DashboardIssueGitHub = {
    async createIssue(title, body) {
      const number = nextNumber++;
      issues.set(number, { title, body, state: "open" });
      writes.push(`create #${number}`);
      return number;
    },
    async updateIssue(number, body) {
      if (failures.update > 0) {
        failures.update -= 1;
        throw Object.assign(new Error("Bad gateway"), { status: 502 });
      }
      const issue = issues.get(number);
      if (!issue) return "gone";
      issues.set(number, { ...issue, body, state: "open" });
      writes.push(`update #${number}`);
      return "updated";
    },
    async closeIssue(number) {
      const issue = issues.get(number);
      if (issue) issue.state = "closed";
      writes.push(`close #${number}`);
    },
  };
  const factory: DashboardIssueGitHubFactory = { forRepo: async () => client };
  return { issues, writes, failures, client, factory };
}

/** Outcomes reported by an updater, and a promise for the next one that matches. */
export function outcomeLog<T>() {
  const seen: T[] = [];
  const waiters: Array<{ test: (value: T) => boolean; resolve: (value: T) => void }> = [];
  return {
    seen,
    record(value: T) {
      seen.push(value);
      for (const waiter of [...waiters]) {
        if (waiter.test(value)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(value);
        }
      }
    },
    /** Resolves on the next outcome passing `test` reported from now on. */
    next(test: (value: T) => boolean = () => true, timeoutMs = 15_000): Promise<T> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no such outcome in time")), timeoutMs);
        waiters.push({
          test,
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
        });
      });
    },
  };
}
