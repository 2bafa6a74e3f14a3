import type { Probot } from "probot";

/** One attempt to deliver a webhook, as GitHub lists the app's deliveries. */
export interface DeliveryAttempt {
  /** The attempt's id: what a redelivery is asked for. */
  id: number;
  /** The event's id (X-GitHub-Delivery), shared by all its attempts. */
  guid: string;
  deliveredAt: number;
  redelivery: boolean;
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
}

/** What the missed-delivery sweep needs from GitHub, with the app's own JWT. */
export interface RedeliveryGitHub {
  /** The app's delivery attempts, newest first, a page at a time. */
  attempts(): AsyncIterable<DeliveryAttempt[]>;
  /** Asks GitHub to deliver an attempt's event again (same guid). */
  redeliver(attemptId: number): Promise<void>;
}

export function probotRedeliveryGitHub(probot: Probot): RedeliveryGitHub {
  return {
    async *attempts() {
      const app = await probot.auth();
      const pages = app.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 });
      for await (const { data } of pages) {
        yield data.map((d) => ({
          id: d.id,
          guid: d.guid,
          deliveredAt: Date.parse(d.delivered_at),
          redelivery: d.redelivery,
          status: d.status,
          statusCode: d.status_code,
          event: d.event,
          action: d.action ?? null,
        }));
      }
    },
    async redeliver(attemptId) {
      const app = await probot.auth();
      await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
        delivery_id: attemptId,
      });
    },
  };
}
