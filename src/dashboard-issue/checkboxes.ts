/**
 * The retry checkboxes of the dashboard issue. A box carries its task id in an HTML comment, so
 * a human edit of the surrounding words cannot change what it retries.
 */
export function retryMarker(taskId: number): string {
  return `<!-- fleet-retry:${taskId} -->`;
}

const RETRY_BOX = /^\s*[-*+]\s+\[([ xX])\]\s+<!--\s*fleet-retry:(\d+)\s*-->/;

/** Task ids whose retry box is ticked in a dashboard body. */
export function tickedRetries(body: string): Set<number> {
  const ticked = new Set<number>();
  for (const line of body.split(/\r?\n/)) {
    const match = RETRY_BOX.exec(line);
    if (match && match[1] !== " ") ticked.add(Number(match[2]));
  }
  return ticked;
}

/** Boxes a human ticked in this edit: ticked now and not before, in the order they appear. */
export function newlyTickedRetries(before: string, after: string): number[] {
  const already = tickedRetries(before);
  return [...tickedRetries(after)].filter((id) => !already.has(id));
}
