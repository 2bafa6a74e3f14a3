/**
 * Seeded fault decisions for the emulator: which API request fails and how, which webhook
 * delivery is dropped or held back. Each stream (API, webhooks) has its own generator and
 * draws the same count of numbers per decision, so a seed replays the same sequence of
 * decisions for each stream, whatever the other one did.
 */
import { mulberry32 } from "../prng.js";

export const API_FAULT_KINDS = ["500", "502", "secondary-rate-limit", "429", "timeout"] as const;
export type ApiFaultKind = (typeof API_FAULT_KINDS)[number];

export interface FaultPlan {
  seed: number;
  /** Share of REST requests (0..1) answered with a fault, picked evenly among `kinds`. */
  api?: { rate: number; kinds?: readonly ApiFaultKind[] };
  webhooks?: {
    /** Share of first deliveries recorded as timed out without reaching the app. */
    drop?: number;
    /** Share of first deliveries held back, then sent after the ones raised meanwhile. */
    delay?: number;
    /** Real ms a held delivery waits at most. */
    maxDelayMs?: number;
  };
}

export type WebhookFault = { kind: "drop" } | { kind: "delay"; ms: number };

export interface FaultStats {
  api: Record<ApiFaultKind, number>;
  webhooksDropped: number;
  webhooksDelayed: number;
}

const API_STREAM = 0x41504921;
const WEBHOOK_STREAM = 0x484f4f4b;

const emptyStats = (): FaultStats => ({
  api: Object.fromEntries(API_FAULT_KINDS.map((k) => [k, 0])) as Record<ApiFaultKind, number>,
  webhooksDropped: 0,
  webhooksDelayed: 0,
});

/** The plan in force (none by default) and the count of every fault it injected. */
export class Faults {
  private plan: FaultPlan | null = null;
  private apiRandom: () => number = () => 1;
  private webhookRandom: () => number = () => 1;
  private counts = emptyStats();

  /** A new plan restarts both streams from its seed; null stops injecting. Counts add up. */
  set(plan: FaultPlan | null): void {
    if (plan) checkPlan(plan);
    this.plan = plan;
    if (!plan) return;
    this.apiRandom = mulberry32(plan.seed ^ API_STREAM);
    this.webhookRandom = mulberry32(plan.seed ^ WEBHOOK_STREAM);
  }

  /** The fault for the next REST request, if any (and counts it). */
  nextApiFault(): ApiFaultKind | null {
    const api = this.plan?.api;
    if (!api || api.rate <= 0) return null;
    const hit = this.apiRandom();
    const pick = this.apiRandom();
    const kinds = api.kinds?.length ? api.kinds : API_FAULT_KINDS;
    if (hit >= api.rate) return null;
    const kind = kinds[Math.floor(pick * kinds.length)] as ApiFaultKind;
    this.counts.api[kind]++;
    return kind;
  }

  /** The fault for the next first delivery of a webhook, if any (and counts it). */
  nextWebhookFault(): WebhookFault | null {
    const hooks = this.plan?.webhooks;
    if (!hooks || ((hooks.drop ?? 0) <= 0 && (hooks.delay ?? 0) <= 0)) return null;
    const drop = this.webhookRandom();
    const delay = this.webhookRandom();
    const length = this.webhookRandom();
    if (drop < (hooks.drop ?? 0)) {
      this.counts.webhooksDropped++;
      return { kind: "drop" };
    }
    if (delay < (hooks.delay ?? 0)) {
      this.counts.webhooksDelayed++;
      return { kind: "delay", ms: Math.max(1, Math.round(length * (hooks.maxDelayMs ?? 0))) };
    }
    return null;
  }

  stats(): FaultStats {
    return structuredClone(this.counts);
  }
}

function checkPlan(plan: FaultPlan): void {
  const shares = [plan.api?.rate, plan.webhooks?.drop, plan.webhooks?.delay];
  if (shares.some((s) => s !== undefined && !(s >= 0 && s <= 1))) {
    throw new Error("fault rates must be between 0 and 1");
  }
  if (!Number.isInteger(plan.seed)) throw new Error("the fault seed must be an integer");
  for (const kind of plan.api?.kinds ?? []) {
    if (!API_FAULT_KINDS.includes(kind)) throw new Error(`unknown API fault kind ${kind}`);
  }
}
