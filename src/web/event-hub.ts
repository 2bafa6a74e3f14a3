import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Clock } from "../config/clock.js";
import { type Listener, listen, TASK_EVENT } from "../db/notify.js";

export interface EventHubOptions {
  databaseUrl: string;
  clock: Clock;
  log: Logger;
  /** Between keep-alive comments, so proxies keep an idle stream open. Default 15s. */
  keepAliveMs?: number;
}

export interface EventHub {
  /** Answers an SSE request and keeps it subscribed until the client leaves or the hub closes. */
  attach(req: IncomingMessage, res: ServerResponse): Promise<void>;
  clientCount(): number;
  close(): Promise<void>;
}

const LISTEN_PATIENCE_MS = 2_000;

/** One SSE frame; each payload line gets its own `data:` so a newline cannot end the frame early. */
function frame(event: string, payload: string): string {
  const data = payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join("\n");
  return `event: ${event}\n${data}\n\n`;
}

/**
 * Fans the task events out to every connected dashboard: one LISTEN per process, opened when
 * the first client arrives, whatever the number of viewers.
 */
export function createEventHub(options: EventHubOptions): EventHub {
  const { clock, log } = options;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const clients = new Set<ServerResponse>();
  const stop = new AbortController();
  let listening: Promise<Listener> | undefined;

  const broadcast = (text: string) => {
    for (const res of clients) res.write(text);
  };

  const keepAlive = async () => {
    while (!stop.signal.aborted) {
      await clock.sleep(keepAliveMs, stop.signal);
      if (!stop.signal.aborted) broadcast(": keep-alive\n\n");
    }
  };

  const subscribe = (): Promise<Listener> => {
    listening ??= listen(
      options.databaseUrl,
      [TASK_EVENT],
      (_channel, payload) => broadcast(frame("task", payload)),
      {
        log,
        // A viewer waiting on an outage is told at once (503), and its EventSource tries again.
        patienceMs: LISTEN_PATIENCE_MS,
        // Notifications sent while the connection was down are lost: every page reloads its data.
        onReconnect: () => broadcast(frame("refresh", "{}")),
      },
    ).then(
      (listener) => {
        keepAlive().catch((err) => log.error({ err }, "dashboard keep-alive stopped"));
        return listener;
      },
      (err: unknown) => {
        listening = undefined;
        throw err;
      },
    );
    return listening;
  };

  return {
    async attach(req, res) {
      try {
        if (stop.signal.aborted) throw new Error("the dashboard is closing");
        await subscribe();
      } catch (err) {
        log.warn({ err: (err as Error).message }, "dashboard event stream unavailable");
        res.writeHead(503, { "content-type": "text/plain", "retry-after": "5" });
        res.end("event stream unavailable\n");
        return;
      }
      if (stop.signal.aborted || req.destroyed) {
        res.writeHead(503, { "content-type": "text/plain" }).end();
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      // Reconnect after 3s when the stream drops; the first comment flushes the headers.
      res.write("retry: 3000\n: connected\n\n");
      clients.add(res);
      const leave = () => clients.delete(res);
      req.on("close", leave);
      res.on("close", leave);
    },

    clientCount: () => clients.size,

    async close() {
      stop.abort();
      for (const res of clients) res.end();
      clients.clear();
      const pending = listening;
      listening = undefined;
      const listener = await pending?.catch(() => undefined);
      await listener?.close();
    },
  };
}
