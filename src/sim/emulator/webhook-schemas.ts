import { createRequire } from "node:module";
import type { Ajv, ValidateFunction } from "ajv";
import { createAjv } from "./ajv.js";

/**
 * Every payload the emulator sends must match @octokit/webhooks-schemas; a mismatch is an
 * emulator bug, so it throws instead of sending something GitHub never would.
 */

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(event: string, action: string | undefined): ValidateFunction {
  const key = action ? `${event}$${action}` : `${event}_event`;
  let validate = validators.get(key);
  if (validate) return validate;
  if (!ajv) {
    const schema = createRequire(import.meta.url)("@octokit/webhooks-schemas") as {
      definitions: Record<string, unknown>;
    };
    ajv = createAjv();
    ajv.addSchema({ $id: "webhooks", definitions: schema.definitions });
  }
  // Events without actions are `<event>_event`, except status, which is `status$event`.
  validate =
    ajv.getSchema(`webhooks#/definitions/${key}`) ??
    (action ? undefined : ajv.getSchema(`webhooks#/definitions/${event}$event`));
  if (!validate) throw new Error(`emulator bug: no webhook schema for ${key}`);
  validators.set(key, validate);
  return validate;
}

export function assertValidWebhook(event: string, payload: Record<string, unknown>): void {
  const action = typeof payload.action === "string" ? payload.action : undefined;
  const validate = validatorFor(event, action);
  if (validate(payload)) return;
  const details = (validate.errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`)
    .join("; ");
  throw new Error(`emulator bug: ${event}.${action ?? ""} payload breaks its schema: ${details}`);
}
