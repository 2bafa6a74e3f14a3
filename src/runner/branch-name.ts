/**
 * Branch names are built from untrusted issue titles, so the slug keeps only [a-z0-9-]: that
 * alone rules out every character git's check-ref-format rejects and any path traversal.
 */
export function slugify(title: string, maxLength = 40): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // drop combining accents so "café" reads "cafe"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, Math.max(1, maxLength))
    .replace(/-+$/, "");
  return slug === "" ? "issue" : slug;
}

export function branchName(issueNumber: number, title: string): string {
  if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0) {
    throw new Error(`issue number must be a positive integer, got ${issueNumber}`);
  }
  return `fleet/${issueNumber}-${slugify(title)}`;
}

/** The branch of the PR that reverts `sha`, a merge made for `issueNumber`. */
export function revertBranchName(issueNumber: number, sha: string): string {
  if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0) {
    throw new Error(`issue number must be a positive integer, got ${issueNumber}`);
  }
  if (!/^[0-9a-f]{7,64}$/.test(sha)) throw new Error(`not a commit sha: ${JSON.stringify(sha)}`);
  return `fleet/revert-${issueNumber}-${sha.slice(0, 7)}`;
}
