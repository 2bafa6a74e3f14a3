import nock from "nock";
import { afterEach, beforeEach, expect } from "vitest";

export const API = "https://api.github.com";

/**
 * nock with the network closed: any request nobody expected fails the test, and so does any
 * expected request that never came.
 */
export function strictNock(): { unexpected: string[] } {
  const state = { unexpected: [] as string[] };
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => {
    state.unexpected.push(`${req.method} ${req.href ?? req.path}`);
  };
  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
    state.unexpected.length = 0;
    nock.emitter.on("no match", onNoMatch);
  });
  afterEach(() => {
    nock.emitter.off("no match", onNoMatch);
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(state.unexpected, "unexpected GitHub requests").toEqual([]);
    expect(pending, "expected GitHub requests that never came").toEqual([]);
  });
  return state;
}
