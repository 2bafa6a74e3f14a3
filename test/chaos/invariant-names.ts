/** The chaos suite's invariants, by name, in the order the checker reports them. */
export const INVARIANT_NAMES = [
  "no task lost",
  "no duplicate dispatch",
  "no healthy agent killed",
  "no orphan process",
  "no leaked worktree",
  "no bad commit on a default branch",
  "no fleet process crashed",
  "no invalid GitHub API call",
] as const;
