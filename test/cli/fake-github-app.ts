import { createPublicKey, verify } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AppRequest {
  path: string;
  /** The JWT's claims when its RS256 signature verified against the app's public key. */
  claims: { iss: number; iat: number; exp: number } | null;
}

/**
 * `GET /app` as GitHub answers it, on 127.0.0.1: 200 with the app when the bearer JWT verifies
 * against the app's key, else 401. `reply` may override the body for a 200.
 */
export async function startFakeGitHubApp(options: {
  privateKey: string;
  app: Record<string, unknown>;
}): Promise<{ url: string; requests: AppRequest[]; close(): Promise<void> }> {
  const publicKey = createPublicKey(options.privateKey);
  const requests: AppRequest[] = [];
  const server: Server = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const [header = "", payload = "", signature = ""] = token.split(".");
    const valid = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      publicKey,
      Buffer.from(signature, "base64url"),
    );
    const claims = valid ? JSON.parse(Buffer.from(payload, "base64url").toString()) : null;
    requests.push({ path: req.url ?? "", claims });
    res.setHeader("content-type", "application/json");
    if (req.method !== "GET" || req.url !== "/app") {
      res.writeHead(404).end(JSON.stringify({ message: "Not Found" }));
    } else if (!claims) {
      res.writeHead(401).end(JSON.stringify({ message: "A JSON web token could not be decoded" }));
    } else {
      res.writeHead(200).end(JSON.stringify(options.app));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
