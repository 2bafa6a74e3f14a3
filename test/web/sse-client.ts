import { request } from "node:http";

export interface SseStream {
  status: number;
  contentType: string | undefined;
  /** Everything received so far. */
  text(): string;
  /** Resolves with the text received so far once it matches, after `from` characters. */
  waitFor(pattern: RegExp, from?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A raw reader of an event stream, to see exactly the frames the server writes. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      let buffer = "";
      const waiters = new Set<() => void>();
      res.setEncoding("utf8");
      // close() aborts the response on purpose.
      res.on("error", () => {});
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (const check of waiters) check();
      });
      const ended = new Promise<void>((done) => res.on("end", done));
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers["content-type"],
        text: () => buffer,
        ended,
        close: () => req.destroy(),
        waitFor: (pattern, from = 0) =>
          new Promise((found, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no ${pattern} in the stream within 10s; got: ${buffer}`));
            }, 10_000);
            function check() {
              if (!pattern.test(buffer.slice(from))) return;
              clearTimeout(timer);
              waiters.delete(check);
              found(buffer);
            }
            waiters.add(check);
            check();
          }),
      });
    });
    req.on("error", reject);
    req.end();
  });
}
