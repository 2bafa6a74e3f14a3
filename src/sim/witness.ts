import { rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";

/**
 * Learns when each scripted agent dies. Every agent connects to this socket at start; the kernel
 * closes the connection when the process ends, even by SIGKILL, so a death has a time without
 * anyone polling /proc.
 */
export class Witness {
  /** pid -> when its connection closed (ms since the epoch). */
  readonly deaths = new Map<number, number>();
  private readonly open = new Map<number, Socket>();
  private closing = false;
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(path: string): Promise<Witness> {
    const server = createServer();
    const witness = new Witness(server, path);
    server.on("connection", (socket) => witness.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
    return witness;
  }

  /** Agents whose connection is still open: alive, as far as the kernel is concerned. */
  get alive(): number[] {
    return [...this.open.keys()];
  }

  private accept(socket: Socket): void {
    let pid: number | undefined;
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const line = buffered.split("\n")[0];
      if (pid !== undefined || line === undefined || !buffered.includes("\n")) return;
      pid = (JSON.parse(line) as { pid: number }).pid;
      this.open.set(pid, socket);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (pid === undefined || this.closing) return;
      this.open.delete(pid);
      this.deaths.set(pid, Date.now());
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.open.values()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.path, { force: true });
  }
}
