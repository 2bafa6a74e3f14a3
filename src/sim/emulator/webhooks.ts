import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import type { Logger } from "pino";
import type { Faults } from "./faults.js";
import type { Delivery } from "./types.js";
import { assertValidWebhook } from "./webhook-schemas.js";

/** How long GitHub waits for the app's answer before it records the delivery as timed out. */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Delivers signed webhooks one at a time, in the order they were raised, as GitHub's hookshot
 * does for one hook. Each delivery is recorded with the status the app answered. Injected
 * faults (first deliveries only: a redelivery is asked for on purpose) drop a delivery, recorded
 * as timed out, or hold it back and send it after the ones raised meanwhile.
 */
export class WebhookSender {
  private url: string | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly records: Delivery[] = [];
  private readonly inflight = new Set<AbortController>();
  /** Held-back deliveries: each settles once it was sent; the function releases it early. */
  private readonly held = new Map<Promise<unknown>, () => void>();
  private closed = false;
  private lastAttemptId = 1_000_000_000 + randomBytes(3).readUIntBE(0, 3) * 100;
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
      faults?: Faults;
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

  /** Finished attempts (answered, failed or dropped), as GitHub lists them. */
  attempts(): Delivery[] {
    return this.records.filter(
      (d) => d.deliveredAt !== undefined && (d.status !== 0 || d.error !== undefined),
    );
  }

  /** Guids of deliveries a fault dropped that no later attempt brought to the app yet. */
  unrecoveredDrops(): string[] {
    const delivered = new Set(
      this.records.filter((d) => d.status >= 200 && d.status < 300).map((d) => d.id),
    );
    const dropped = this.records.filter((d) => d.fault?.kind === "drop" && !delivered.has(d.id));
    return [...new Set(dropped.map((d) => d.id))];
  }

  /**
   * Validates now (throwing on an emulator bug), then queues; resolves once the app answered,
   * or at its turn, unsent, when a fault drops it or holds it back.
   */
  send(event: string, payload: Record<string, unknown>): Promise<Delivery> {
    assertValidWebhook(event, payload);
    const record: Delivery = {
      id: randomUUID(),
      attemptId: ++this.lastAttemptId,
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
    return this.enqueue({
      id: original.id,
      attemptId: ++this.lastAttemptId,
      event: original.event,
      action: original.action,
      status: 0,
      redelivery: true,
      payload: original.payload,
    });
  }

  private enqueue(record: Delivery): Promise<Delivery> {
    this.records.push(record);
    const fault = record.redelivery ? null : (this.opts.faults?.nextWebhookFault() ?? null);
    if (fault) record.fault = fault;
    return this.queue(() => {
      if (fault?.kind === "drop") return this.drop(record);
      if (fault?.kind === "delay") return this.hold(record, fault.ms);
      return this.deliver(record);
    });
  }

  private queue(step: () => Promise<Delivery> | Delivery): Promise<Delivery> {
    const run = this.tail.then(step);
    this.tail = run;
    return run;
  }

  /** Recorded as GitHub records a delivery the app never answered; the app hears nothing. */
  private drop(record: Delivery): Delivery {
    record.deliveredAt = Date.now();
    record.durationMs = this.opts.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    record.error = "timed out";
    this.opts.log?.debug({ delivery: record.id, event: record.event }, "webhook dropped (fault)");
    return record;
  }

  /**
   * Resolves at once with the record still unsent, so whoever raised the event goes on; the
   * delivery joins the back of the queue after `ms`, and `idle()` waits for it.
   */
  private hold(record: Delivery, ms: number): Delivery {
    let release = () => {};
    const timer = new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, ms);
      release = () => {
        clearTimeout(handle);
        resolve();
      };
    });
    const sent: Promise<unknown> = timer
      .then(() => this.queue(() => this.deliver(record)))
      .finally(() => this.held.delete(sent));
    this.held.set(sent, release);
    return record;
  }

  private async deliver(record: Delivery): Promise<Delivery> {
    const url = this.url;
    const startedAt = Date.now();
    record.deliveredAt = startedAt;
    if (this.closed || !url) {
      record.error = this.closed ? "emulator closed" : "no webhook URL set";
      return record;
    }
    const body = JSON.stringify(record.payload);
    const controller = new AbortController();
    this.inflight.add(controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs ?? DELIVERY_TIMEOUT_MS);
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
      record.error = timedOut
        ? "timed out"
        : error instanceof Error
          ? error.message
          : String(error);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
      record.durationMs = Date.now() - startedAt;
    }
    this.opts.log?.debug(
      {
        delivery: record.id,
        event: record.event,
        action: record.action,
        status: record.status,
        durationMs: record.durationMs,
      },
      "webhook delivered",
    );
    return record;
  }

  /**
   * Resolves once every queued delivery was answered, including ones queued meanwhile and ones
   * held back by a fault.
   */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.tail;
      await tail;
      await Promise.all(this.held.keys());
      if (tail === this.tail && this.held.size === 0) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const release of this.held.values()) release();
    for (const controller of this.inflight) controller.abort();
    await Promise.all(this.held.keys());
    await this.tail;
  }
}
