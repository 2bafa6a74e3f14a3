import { generateKeyPairSync } from "node:crypto";

/** A throwaway GitHub App key pair (PEM): the app signs with one half, the emulator verifies. */
export function appKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}
