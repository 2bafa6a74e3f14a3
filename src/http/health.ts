import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { probeDatabase } from "../db/probe.js";
import type { HttpRoute } from "./route.js";

/**
 * `/healthz`: the process is up. `/readyz`: its database answers; without it no webhook can be
 * taken in safely and no runner can claim.
 */
export function healthRoute(db: DbOrTx): HttpRoute {
  return async (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return true;
    }
    if (req.url !== "/readyz") return false;
    if (await probeDatabase(() => db.execute(sql`select 1`))) {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    } else {
      res
        .writeHead(503, { "content-type": "application/json" })
        .end('{"ok":false,"error":"database unavailable"}');
    }
    return true;
  };
}
