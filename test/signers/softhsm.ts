/**
 * SoftHSM2 for the tests: one token store in a temporary directory per test process (`SOFTHSM2_CONF`
 * must point at it before the module is first initialized), and fresh tokens initialized through the
 * same PKCS#11 calls a real HSM's setup uses (C_InitToken, C_InitPIN). PINs are random and handed to the
 * code under test through environment variables, as in production.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "fs";
import { randomBytes } from "crypto";
import os from "os";
import path from "path";
import * as pkcs11js from "pkcs11js";
import { SOFTHSM2_MODULE, generatePkcs11Key, type GeneratedPkcs11Key } from "../../sdk/signers";
import { loadPkcs11Module } from "../../sdk/signers/pkcs11-module";

export const MODULE = process.env.PKCS11_MODULE || SOFTHSM2_MODULE;

let dir: string | undefined;

/** Points SoftHSM2 at a fresh token directory for this process (once), removed when the process exits. */
export function softHsmDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(path.join(os.tmpdir(), "softhsm-"));
  mkdirSync(path.join(dir, "tokens"));
  const conf = path.join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${path.join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const root = dir;
  process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  return dir;
}

export interface TestToken {
  readonly label: string;
  /** Name of the environment variable that holds the user PIN. */
  readonly pinEnv: string;
}

/** Initializes a new token with a random label and PIN; the PIN goes into a fresh environment variable. */
export async function createToken(prefix = "vault"): Promise<TestToken> {
  softHsmDir();
  const m = await loadPkcs11Module(MODULE);
  const label = `${prefix}-${randomBytes(4).toString("hex")}`;
  const soPin = randomBytes(8).toString("hex");
  const pin = randomBytes(8).toString("hex");
  const free = m.C_GetSlotList(true).find((slot) => !(m.C_GetTokenInfo(slot).flags & pkcs11js.CKF_TOKEN_INITIALIZED));
  if (!free) throw new Error("SoftHSM2 shows no free slot");
  m.C_InitToken(free, soPin, label.padEnd(32, " "));
  const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === label)!;
  const session = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    m.C_Login(session, pkcs11js.CKU_SO, soPin);
    m.C_InitPIN(session, pin);
    m.C_Logout(session);
  } finally {
    m.C_CloseSession(session);
  }
  const pinEnv = `TEST_HSM_PIN_${label.replace(/\W/g, "_").toUpperCase()}`;
  process.env[pinEnv] = pin;
  return { label, pinEnv };
}

/** A token with one generated key labelled `key`. */
export async function tokenWithKey(key = "operator"): Promise<TestToken & { key: GeneratedPkcs11Key }> {
  const token = await createToken();
  const generated = await generatePkcs11Key({ module: MODULE, token: token.label, pin: { env: token.pinEnv }, label: key });
  return { ...token, key: generated };
}
