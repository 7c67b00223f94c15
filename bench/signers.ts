/**
 * `npm run bench:signers`: signatures per second of the key-store signers, printed next to the committed
 * baseline (bench/signers-baseline.json), on a SoftHSM2 token in a temporary directory and the local KMS
 * endpoint the tests use (so KMS figures are the client's own cost plus a loopback round trip, not AWS's):
 *
 * - `hsmRaw`: `C_SignInit` + `C_Sign` (CKM_ECDSA) alone: what the token costs;
 * - `hsmSignHash`: `Pkcs11Signer.signHash`: the token, plus low-s folding and recovery-id search;
 * - `hsmSignTransaction`: an EIP-1559 transaction signed end to end (serialisation, hash, signature);
 * - `kmsSignHash`: `AwsKmsSigner.signHash` through @aws-sdk/client-kms (SigV4, JSON protocol, DER).
 *
 * It fails (exit 1) if a figure falls below a quarter of its baseline: loose enough for a shared machine,
 * tight enough to catch a signer that opens a session or logs in per signature. `SIGNERS_BENCH_WRITE=1`
 * replaces the baseline with this run's figures.
 */
import fs from "fs";
import path from "path";
import { randomBytes } from "crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { Wallet } from "ethers";
import * as pkcs11js from "pkcs11js";
import { AwsKmsSigner, Pkcs11Signer } from "../sdk/signers";
import { loadPkcs11Module } from "../sdk/signers/pkcs11-module";
import { startLocalKms } from "../test/signers/kms-endpoint";
import { MODULE, tokenWithKey } from "../test/signers/softhsm";

const BASELINE = path.join(__dirname, "signers-baseline.json");
type Figures = Record<string, number>;

async function perSecond(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(10, count); i++) await fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(count / seconds);
}

async function measure(): Promise<Figures> {
  const token = await tokenWithKey("bench");
  const signer = await Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "bench" }, pin: { env: token.pinEnv } });
  const digests = Array.from({ length: 64 }, () => randomBytes(32));

  const m = await loadPkcs11Module(MODULE);
  const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === token.label)!;
  const session = m.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
  m.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: "bench" }]);
  const [key] = m.C_FindObjects(session, 1);
  m.C_FindObjectsFinal(session);
  const hsmRaw = await perSecond(1000, async (i) => {
    m.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key);
    await m.C_SignAsync(session, digests[i % 64], Buffer.alloc(64));
  });
  m.C_CloseSession(session);

  const hsmSignHash = await perSecond(300, (i) => signer.signHash(digests[i % 64]));
  const tx = { to: Wallet.createRandom().address, value: 1n, gasLimit: 60_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, chainId: 1n, type: 2 };
  const hsmSignTransaction = await perSecond(300, (i) => signer.signTransaction({ ...tx, nonce: i }));

  const kmsKey = Wallet.createRandom().signingKey;
  const kms = await startLocalKms({ bench: { key: kmsKey } });
  const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "local" }, maxAttempts: 1 });
  try {
    const kmsSigner = await AwsKmsSigner.open({ keyId: "bench", client });
    const kmsSignHash = await perSecond(200, (i) => kmsSigner.signHash(digests[i % 64]));
    return { hsmRaw, hsmSignHash, hsmSignTransaction, kmsSignHash };
  } finally {
    client.destroy();
    await kms.close();
  }
}

const format = (title: string, f: Figures) => [title, ...Object.entries(f).map(([k, v]) => `  ${k.padEnd(20)} ${String(v).padStart(7)} /s`)].join("\n");

async function main() {
  const now = await measure();
  const baseline = fs.existsSync(BASELINE) ? (JSON.parse(fs.readFileSync(BASELINE, "utf8")) as Figures) : null;
  if (baseline) console.log(format("baseline (committed)", baseline), "\n");
  console.log(format("this run", now));
  if (process.env.SIGNERS_BENCH_WRITE === "1") {
    fs.writeFileSync(BASELINE, `${JSON.stringify(now, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(process.cwd(), BASELINE)}`);
    return;
  }
  const slow = baseline ? Object.keys(baseline).filter((k) => (now[k] ?? 0) < baseline[k] / 4) : [];
  if (slow.length) {
    console.error(`\nbelow a quarter of the baseline: ${slow.join(", ")}`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
