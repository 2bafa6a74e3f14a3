import { is } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { DbOrTx, Tx } from "../db/client.js";

type Effect = () => void;

/** Effects waiting for their transaction to commit; a rolled-back one is simply dropped. */
const pending = new WeakMap<object, Effect[]>();

/**
 * Runs `effect` once what was just written on `db` is committed: at once outside a transaction,
 * else when the transaction opened by `transactionWithEffects` (as `inTransaction` does) commits.
 * A transaction opened with a bare `db.transaction` never runs them.
 */
export function afterCommit(db: DbOrTx, effect: Effect): void {
  if (!is(db, PgTransaction)) {
    runEffect(effect);
    return;
  }
  const effects = pending.get(db);
  if (effects) effects.push(effect);
  else pending.set(db, [effect]);
}

/**
 * `db.transaction(run)`, then the after-commit effects queued on it. Inside an outer transaction
 * (a savepoint) they move to the outer one, which may still roll back.
 */
export async function transactionWithEffects<T>(
  db: DbOrTx,
  run: (tx: Tx) => Promise<T>,
): Promise<T> {
  let opened: Tx | undefined;
  const result = await db.transaction((tx) => {
    opened = tx;
    return run(tx);
  });
  const effects = opened ? pending.get(opened) : undefined;
  if (opened) pending.delete(opened);
  for (const effect of effects ?? []) afterCommit(db, effect);
  return result;
}

/** Effects only count things: one failing must not fail the write that already committed. */
function runEffect(effect: Effect): void {
  try {
    effect();
  } catch {
    // A metric that cannot be updated is not worth failing a committed write for.
  }
}
