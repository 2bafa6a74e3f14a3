import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import type { Logger } from "pino";
import type { Delivery } from "./types.js";
import { assertValidWebhook } from "./webhook-schemas.js";

/**
 * Delivers signed webhooks one at a time, in the order they were raised, as GitHub's hookshot
 * does for one hook. Each delivery is recorded with the status the app answered.
 */
export class WebhookSender {
  private url: string | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly records: Delivery[] = [];
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  private readonly hookId = 400_000_000 + (randomBytes(3).readUIntBE(0, 3) % 1_000_000);
  private readonly userAgent = `GitHub-Hookshot/${randomBytes(4).toString("hex").slice(0, 7)}`;

  constructor(
    private readonly opts: {
      secret: string;
      appId: number;
      url?: string | undefined;
      log?: Logger | undefined;
      /** GitHub gives up on a delivery after 10 s. */
      timeoutMs?: number;
    },
  ) {
    this.url = opts.url;
  }

  setUrl(url: string): void {
    this.url = url;
  }

  list(): Delivery[] {
    return [...this.records];
  }

  /** Validates now (throwing on an emulator bug), then queues; resolves once the app answered. */
  send(event: string, payload: Record<string, unknown>): Promise<Delivery> {
    assertValidWebhook(event, payload);
    const record: Delivery = {
      id: randomUUID(),
      event,
      action: typeof payload.action === "string" ? payload.action : undefined,
      status: 0,
      redelivery: false,
      payload,
    };
    return this.enqueue(record);
  }

  /** Sends a recorded delivery again with the same payload and the same X-GitHub-Delivery. */
  redeliver(deliveryId: string): Promise<Delivery> {
    const original = this.records.find((d) => d.id === deliveryId);
    if (!original) return Promise.reject(new Error(`no delivery ${deliveryId}`));
    const { error: _error, ...rest } = original;
    return this.enqueue({ ...rest, status: 0, redelivery: true });
  }

  private enqueue(record: Delivery): Promise<Delivery> {
    this.records.push(record);
    const run = this.tail.then(() => this.deliver(record));
    this.tail = run;
    return run;
  }

  private async deliver(record: Delivery): Promise<Delivery> {
    const url = this.url;
    if (this.closed || !url) {
      record.error = this.closed ? "emulator closed" : "no webhook URL set";
      return record;
    }
    const body = JSON.stringify(record.payload);
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs ?? 10_000);
    try {
      const response = await fetch(url, {
        method: "POST",
        signal: controller.signal,
        headers: {
          "content-type": "application/json",
          "user-agent": this.userAgent,
          "x-github-event": record.event,
          "x-github-delivery": record.id,
          "x-github-hook-id": String(this.hookId),
          "x-github-hook-installation-target-id": String(this.opts.appId),
          "x-github-hook-installation-target-type": "integration",
          "x-hub-signature": `sha1=${createHmac("sha1", this.opts.secret).update(body).digest("hex")}`,
          "x-hub-signature-256": await sign(this.opts.secret, body),
        },
        body,
      });
      await response.arrayBuffer();
      record.status = response.status;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
    this.opts.log?.debug(
      { delivery: record.id, event: record.event, action: record.action, status: record.status },
      "webhook delivered",
    );
    return record;
  }

  /** Resolves once every queued delivery was answered, including ones queued meanwhile. */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail;
      if (tail === this.tail) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inflight) controller.abort();
    await this.tail;
  }
}
