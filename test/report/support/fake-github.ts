import type { ReportGitHub } from "../../../src/github/report-github.js";

export interface CreatedIssue {
  repo: string;
  number: number;
  title: string;
  body: string;
  labels: string[];
}

/** The report's GitHub in memory: every issue it was asked to open, numbered from 1. */
export function fakeReportGitHub(
  options: {
    installationOf?: (repo: string) => Promise<number>;
    failNext?: (title: string) => boolean;
    /** Runs before each issue is opened (while the caller holds whatever it holds). */
    beforeCreate?: () => Promise<void>;
  } = {},
): ReportGitHub & { issues: CreatedIssue[] } {
  const issues: CreatedIssue[] = [];
  return {
    issues,
    installationOf: options.installationOf ?? (async () => 77),
    async createIssue(repo, title, body, labels) {
      await options.beforeCreate?.();
      if (options.failNext?.(title)) throw new Error("GitHub said 502");
      const number = issues.length + 1;
      issues.push({ repo, number, title, body, labels: [...labels] });
      return number;
    },
  };
}

/**
 * An installation lookup that answers only once `parties` callers asked for the same repo: the
 * runners that ask have all seen the target as due, so they all go on to race for its claim.
 */
export function installationBarrier(parties: number, installationId = 77) {
  const waiting = new Map<string, { count: number; release: () => void; all: Promise<void> }>();
  return async (repo: string): Promise<number> => {
    let entry = waiting.get(repo);
    if (!entry) {
      let release!: () => void;
      const all = new Promise<void>((resolve) => {
        release = resolve;
      });
      entry = { count: 0, release, all };
      waiting.set(repo, entry);
    }
    entry.count += 1;
    if (entry.count === parties) entry.release();
    await entry.all;
    return installationId;
  };
}
