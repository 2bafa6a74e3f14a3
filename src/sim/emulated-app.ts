import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { appKeyPair } from "./app-keys.js";
import { type Emulator, startEmulator } from "./emulator/index.js";

export interface EmulatedApp {
  emulator: Emulator;
  /** The app's half of its key pair: the emulator verifies its JWTs with the other. */
  privateKey: string;
  webhookSecret: string;
}

/** GitHub, emulated for a freshly made app: a key pair and webhook secret the emulator knows. */
export async function startEmulatedApp(input: {
  appId: number;
  gitRoot: string;
  log: Logger;
}): Promise<EmulatedApp> {
  const { privateKey, publicKey } = appKeyPair();
  const webhookSecret = randomBytes(20).toString("hex");
  const emulator = await startEmulator({
    gitRoot: input.gitRoot,
    webhookSecret,
    appId: input.appId,
    appPublicKey: publicKey,
    log: input.log.child({ name: "emulator" }),
  });
  return { emulator, privateKey, webhookSecret };
}
