import { expect } from "chai";
import fc from "fast-check";
import { KMSClient } from "@aws-sdk/client-kms";
import { Signature, SigningKey, Wallet, computeAddress, getBytes, hexlify, recoverAddress, verifyMessage, type Provider } from "ethers";
import {
  AwsKmsSigner,
  DigestSigner,
  Pkcs11Signer,
  SECP256K1_N,
  SignatureRecoveryError,
  parseDerSignature,
  parseRawSignature,
  publicKeyFromSpki,
  toEthereumSignature,
  type RawSignature,
} from "../../sdk/signers";
import { derSignature, startLocalKms } from "./kms-endpoint";
import { MODULE, tokenWithKey } from "./softhsm";

// The s-normalisation and recovery-id code that both key-store signers share, checked against ethers' own
// signing and recovery (an independent implementation) over many random keys and digests, so that a
// recovery-id or high-s bug cannot hide behind a lucky fixed example.

const SEED = Number(process.env.SIGNER_FC_SEED ?? 0x5ec_256);
const RUNS = Number(process.env.SIGNER_FC_RUNS ?? 100);
const HSM_RUNS = Number(process.env.SIGNER_FC_HSM_RUNS ?? 100);

const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const keyArb = fc.bigInt({ min: 1n, max: SECP256K1_N - 1n }).map((k) => new SigningKey(hexlify(getBytes("0x" + k.toString(16).padStart(64, "0")))));

/** Checks a signature the way a chain would: low s, and ethers recovers the expected address. */
function expectEthereumSignature(digest: Uint8Array, sig: Signature, address: string) {
  expect(BigInt(sig.s) <= SECP256K1_N / 2n, "low s").to.equal(true);
  expect(recoverAddress(digest, sig)).to.equal(address);
}

/** A DigestSigner over an in-memory key that answers like a key store (r, s in either half); for the base class alone. */
class StubStore extends DigestSigner {
  readonly address: string;
  calls = 0;
  constructor(
    private readonly key: SigningKey,
    address: string = computeAddress(key.publicKey),
    provider: Provider | null = null,
  ) {
    super(provider);
    this.address = address;
  }
  connect(provider: Provider | null): StubStore {
    return new StubStore(this.key, this.address, provider);
  }
  protected async signDigest(digest: Uint8Array): Promise<RawSignature> {
    const sig = this.key.sign(digest);
    return { r: BigInt(sig.r), s: this.calls++ % 2 ? SECP256K1_N - BigInt(sig.s) : BigInt(sig.s) };
  }
}

describe("ECDSA normalisation and recovery shared by the key-store signers", () => {
  it("gives exactly ethers' signature from (r, s) and from (r, n - s), for random keys and digests", () => {
    fc.assert(
      fc.property(keyArb, digestArb, (key, digest) => {
        const expected = key.sign(digest);
        const address = computeAddress(key.publicKey);
        for (const s of [BigInt(expected.s), SECP256K1_N - BigInt(expected.s)]) {
          const sig = toEthereumSignature(digest, { r: BigInt(expected.r), s }, address);
          expect([sig.r, sig.s, sig.yParity]).to.deep.equal([expected.r, expected.s, expected.yParity]);
          // Both encodings the key stores use carry the same (r, s).
          expect(parseDerSignature(derSignature(BigInt(expected.r), s))).to.deep.equal({ r: BigInt(expected.r), s });
          expect(parseRawSignature(getBytes(expected.r + s.toString(16).padStart(64, "0")))).to.deep.equal({ r: BigInt(expected.r), s });
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("refuses a signature by another key, out-of-range values and malformed DER", () => {
    fc.assert(
      fc.property(keyArb, keyArb, digestArb, (key, other, digest) => {
        fc.pre(key.privateKey !== other.privateKey);
        const sig = other.sign(digest);
        expect(() => toEthereumSignature(digest, { r: BigInt(sig.r), s: BigInt(sig.s) }, computeAddress(key.publicKey))).to.throw(SignatureRecoveryError);
      }),
      { seed: SEED, numRuns: 50 },
    );
    const address = computeAddress(new SigningKey("0x" + "11".repeat(32)).publicKey);
    for (const raw of [{ r: 0n, s: 1n }, { r: 1n, s: 0n }, { r: SECP256K1_N, s: 1n }, { r: 1n, s: SECP256K1_N }]) {
      expect(() => toEthereumSignature(new Uint8Array(32), raw, address)).to.throw(SignatureRecoveryError, /out-of-range/);
    }
    for (const der of ["0x31", "0x3006020101020102ff", "0x300602010102", "0x3085ffffffff"]) {
      expect(() => parseDerSignature(getBytes(der)), der).to.throw(SignatureRecoveryError, /DER/);
    }
    expect(() => parseRawSignature(new Uint8Array(63))).to.throw(SignatureRecoveryError);
    expect(() => publicKeyFromSpki(getBytes("0x3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04" + "00".repeat(64)))).to.throw(/secp256k1/);
  });

  it("DigestSigner: transactions, messages and a refusal when the store signs with another key", async () => {
    const key = Wallet.createRandom().signingKey;
    const signer = new StubStore(key);
    for (let i = 0; i < 4; i++) expect(verifyMessage(`m${i}`, await signer.signMessage(`m${i}`))).to.equal(signer.address);
    const wallet = new Wallet(key.privateKey);
    const tx = { to: wallet.address, value: 5n, nonce: 3, gasLimit: 21000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, chainId: 31337n, type: 2 };
    expect(await signer.signTransaction(tx)).to.equal(await wallet.signTransaction(tx)); // RFC 6979: same (r, s) as ethers
    const wrong = new StubStore(Wallet.createRandom().signingKey, signer.address);
    await expect(wrong.signMessage("x")).to.be.rejectedWith(SignatureRecoveryError, /does not recover/);
    await expect(signer.signHash(new Uint8Array(31))).to.be.rejectedWith(SignatureRecoveryError, /32-byte/);
  });

  it("SoftHSM2: every signature over random digests recovers the token's key with a low s", async () => {
    const token = await tokenWithKey("property");
    const signer = await Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "property" }, pin: { env: token.pinEnv } });
    const publicKey = token.key.publicKey;
    await fc.assert(
      fc.asyncProperty(digestArb, async (digest) => {
        const sig = await signer.signHash(digest);
        expectEthereumSignature(digest, sig, signer.address);
        expect(SigningKey.recoverPublicKey(digest, sig)).to.equal(publicKey);
      }),
      { seed: SEED, numRuns: HSM_RUNS },
    );
  });

  it("AWS KMS (local endpoint): every signature over random digests recovers the key with a low s", async () => {
    const key = Wallet.createRandom().signingKey;
    const kms = await startLocalKms({ prop: { key } });
    const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "local" }, maxAttempts: 1 });
    try {
      const signer = await AwsKmsSigner.open({ keyId: "prop", client });
      expect(signer.address).to.equal(computeAddress(key.publicKey));
      await fc.assert(
        fc.asyncProperty(digestArb, async (digest) => {
          const sig = await signer.signHash(digest);
          expectEthereumSignature(digest, sig, signer.address);
          expect(sig.serialized).to.equal(key.sign(digest).serialized);
        }),
        { seed: SEED, numRuns: 40 },
      );
      expect(kms.highS).to.be.greaterThan(10);
    } finally {
      client.destroy();
      await kms.close();
    }
  });
});
