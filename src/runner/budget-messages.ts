import { MARKER } from "../tasks/messages.js";

/** Dollars as people read them: two decimals, more when the amount is under a cent. */
export function formatUsd(usd: number): string {
  return `$${usd > 0 && usd < 0.01 ? usd.toPrecision(2) : usd.toFixed(2)}`;
}

/** Why an attempt stopped on agent.maxCostUsd; it ends up in the failure comment. */
export function overBudgetReason(costUsd: number, limitUsd: number): string {
  return `the agent reported a cost of ${formatUsd(costUsd)}, over the limit of ${formatUsd(limitUsd)} per attempt (agent.maxCostUsd), and was stopped`;
}

export function dailyBudgetComment(limitUsd: number): string {
  return `${MARKER}
The daily budget of ${formatUsd(limitUsd)} for this installation is spent; work resumes after 00:00 UTC.`;
}
