import type { DeliveryAttempt, RedeliveryGitHub } from "../github/redelivery-github.js";

/** Attempts of one event after which the sweep stops asking: the app fails it for a reason. */
export const MAX_ATTEMPTS = 4;

/** An event none of whose attempts in the window reached the app. */
export interface MissedDelivery {
  guid: string;
  event: string;
  action: string | null;
  /** The newest failed attempt: the one to redeliver. */
  attemptId: number;
  /** When its oldest attempt in the window was made: events are redelivered oldest first. */
  firstAt: number;
  attempts: number;
  lastStatus: string;
}

export interface MissedDeliveries {
  /** Attempts read (within the window). */
  listed: number;
  /** Events to redeliver, oldest first. */
  missed: MissedDelivery[];
  /** Events that failed MAX_ATTEMPTS times: left for a human. */
  givenUp: MissedDelivery[];
}

const delivered = (a: DeliveryAttempt) =>
  a.status === "OK" || (a.statusCode >= 200 && a.statusCode < 300);

/**
 * Reads the app's delivery attempts back to `since` (GitHub lists them newest first) and groups
 * them by guid, as GitHub's guide to redelivering failed deliveries does: an event with no
 * successful attempt in the window was missed.
 */
export async function findMissedDeliveries(
  github: RedeliveryGitHub,
  since: number,
): Promise<MissedDeliveries> {
  const byGuid = new Map<string, DeliveryAttempt[]>();
  let listed = 0;
  for await (const page of github.attempts()) {
    for (const attempt of page) {
      if (attempt.deliveredAt < since) continue;
      listed++;
      const attempts = byGuid.get(attempt.guid) ?? [];
      attempts.push(attempt);
      byGuid.set(attempt.guid, attempts);
    }
    const oldest = page.at(-1);
    if (!oldest || oldest.deliveredAt < since) break;
  }
  const missed: MissedDelivery[] = [];
  const givenUp: MissedDelivery[] = [];
  for (const [guid, attempts] of byGuid) {
    if (attempts.some(delivered)) continue;
    const newest = attempts.reduce((a, b) =>
      b.deliveredAt > a.deliveredAt || (b.deliveredAt === a.deliveredAt && b.id > a.id) ? b : a,
    );
    const entry: MissedDelivery = {
      guid,
      event: newest.event,
      action: newest.action,
      attemptId: newest.id,
      firstAt: Math.min(...attempts.map((a) => a.deliveredAt)),
      attempts: attempts.length,
      lastStatus: newest.status,
    };
    (attempts.length >= MAX_ATTEMPTS ? givenUp : missed).push(entry);
  }
  missed.sort((a, b) => a.firstAt - b.firstAt);
  return { listed, missed, givenUp };
}
