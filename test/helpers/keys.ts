import { appKeyPair } from "../../src/sim/app-keys.js";

/** A throwaway GitHub App private key, made once per test file. */
export const TEST_PRIVATE_KEY = appKeyPair().privateKey;
