/**
 * Issue numbers a pull body closes on merge into the default branch: GitHub's keywords (close,
 * closes, closed, fix, fixes, fixed, resolve, resolves, resolved, any case, optional colon)
 * followed by `#n` or `owner/repo#n` of the same repository.
 */
export function closingReferences(body: string | null, repoFullName: string): number[] {
  const pattern =
    /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+(?:([A-Za-z0-9-]+\/[A-Za-z0-9_.-]+))?#(\d+)\b/gi;
  const numbers: number[] = [];
  for (const match of (body ?? "").matchAll(pattern)) {
    const [, repo, number] = match;
    if (repo && repo.toLowerCase() !== repoFullName.toLowerCase()) continue;
    const n = Number(number);
    if (!numbers.includes(n)) numbers.push(n);
  }
  return numbers;
}
