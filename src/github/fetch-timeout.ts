const withDeadline = new WeakSet<typeof fetch>();

/**
 * fetch with a deadline on GitHub's answer (its status and headers). The deadline aborts with a
 * TimeoutError, which @octokit/request turns into a RequestError with status 500, so
 * @octokit/plugin-retry tries again; an abort of the caller's own signal stays an AbortError and
 * is not retried. Once the headers are in, the body is read without a deadline: cutting it short
 * would hand Octokit an empty body as if it were the answer.
 */
export function fetchWithTimeout(timeoutMs: number, inner?: typeof fetch): typeof fetch {
  if (inner && withDeadline.has(inner)) return inner;
  const timed: typeof fetch = async (input, init) => {
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new DOMException(`GitHub did not answer within ${timeoutMs} ms`, "TimeoutError"),
        ),
      timeoutMs,
    );
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      return await (inner ?? globalThis.fetch)(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  };
  withDeadline.add(timed);
  return timed;
}
