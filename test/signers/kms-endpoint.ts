/**
 * A local stand-in for the AWS KMS service, on 127.0.0.1 and a free port: it speaks the KMS JSON protocol
 * (`POST /`, `X-Amz-Target: TrentService.<Operation>`, `application/x-amz-json-1.1`, blobs in base64)
 * for `GetPublicKey` and `Sign`, holds the keys itself and answers as KMS does: the public key as a DER
 * SubjectPublicKeyInfo, signatures DER-encoded with `s` in either half. The real `@aws-sdk/client-kms`
 * talks to it through its `endpoint` setting, so the signer's client code runs unchanged.
 */
import http from "http";
import type { AddressInfo } from "net";
import { SigningKey, hexlify, toBeArray } from "ethers";
import { SECP256K1_N } from "../../sdk/signers";

const SPKI_PREFIX = "3056301006072a8648ce3d020106052b8104000a034200";

/** DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function derSignature(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint) => {
    let b = toBeArray(v);
    if (b[0] & 0x80) b = new Uint8Array([0, ...b]);
    return [0x02, b.length, ...b];
  };
  const body = [...int(r), ...int(s)];
  return new Uint8Array([0x30, body.length, ...body]);
}

export interface KmsKeyEntry {
  readonly key: SigningKey;
  readonly spec?: string;
}

export interface LocalKms {
  readonly endpoint: string;
  readonly region: string;
  /** Operations received, in order, with the key id asked for. */
  readonly requests: { operation: string; keyId: string; authorized: boolean }[];
  /** Signatures answered with the high `s`. */
  highS: number;
  close(): Promise<void>;
}

/** Starts the endpoint with `keys` (key id → key); signatures alternate between low and high `s`. */
export async function startLocalKms(keys: Record<string, KmsKeyEntry>): Promise<LocalKms> {
  const region = "eu-west-1";
  const arn = (id: string) => `arn:aws:kms:${region}:111122223333:key/${id}`;
  const state: LocalKms = { endpoint: "", region, requests: [], highS: 0, close: async () => undefined };
  let signed = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(json));
      };
      const fail = (type: string, message: string) => reply(400, { __type: type, message });
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.replace(/^TrentService\./, "");
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return fail("SerializationException", "body is not JSON");
      }
      const keyId = String(input.KeyId ?? "");
      state.requests.push({ operation, keyId, authorized: /^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? "")) });
      if (req.method !== "POST" || !target.startsWith("TrentService.")) return fail("UnknownOperationException", target);
      const id = keyId.replace(/^arn:aws:kms:[^:]+:\d+:key\//, "");
      const entry = keys[id];
      if (!entry) return fail("NotFoundException", `Key '${arn(id)}' does not exist`);
      const spec = entry.spec ?? "ECC_SECG_P256K1";
      if (operation === "GetPublicKey") {
        const spki = Buffer.from(SPKI_PREFIX + entry.key.publicKey.slice(2), "hex");
        return reply(200, { KeyId: arn(id), KeySpec: spec, KeyUsage: "SIGN_VERIFY", PublicKey: spki.toString("base64"), SigningAlgorithms: ["ECDSA_SHA_256"] });
      }
      if (operation === "Sign") {
        if (input.SigningAlgorithm !== "ECDSA_SHA_256") return fail("KMSInvalidSigningAlgorithmException", String(input.SigningAlgorithm));
        const message = Buffer.from(String(input.Message ?? ""), "base64");
        if (input.MessageType !== "DIGEST" || message.length !== 32) return fail("ValidationException", "expected a 32-byte DIGEST");
        const sig = entry.key.sign(hexlify(message));
        const high = signed++ % 2 === 1;
        if (high) state.highS++;
        const s = high ? SECP256K1_N - BigInt(sig.s) : BigInt(sig.s);
        return reply(200, { KeyId: arn(id), Signature: Buffer.from(derSignature(BigInt(sig.r), s)).toString("base64"), SigningAlgorithm: "ECDSA_SHA_256" });
      }
      return fail("UnknownOperationException", operation);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
