/**
 * What every key-store signer shares: a secp256k1 key that signs 32-byte digests somewhere else (an HSM
 * over PKCS#11, AWS KMS) and an ethers v6 Signer built on it.
 *
 * Key stores return a bare ECDSA (r, s): PKCS#11 `CKM_ECDSA` as r||s, KMS as DER. Neither gives the
 * recovery id Ethereum needs, and either may return the high `s` (`n - s`), which Ethereum rejects
 * (EIP-2). `toEthereumSignature` folds `s` into the low half and finds the recovery id by recovering the
 * address from both candidates; a signature that recovers neither is refused, so a wrong key or a
 * corrupted answer never leaves the signer.
 */
import {
  AbstractSigner,
  Signature,
  Transaction,
  TypedDataEncoder,
  computeAddress,
  copyRequest,
  getAddress,
  getBytes,
  hashMessage,
  hexlify,
  recoverAddress,
  resolveAddress,
  toBeHex,
  type BytesLike,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { SignatureRecoveryError, UnsupportedKeyError } from "./errors";

/** Order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** DER of the secp256k1 curve's OID (1.3.132.0.10), as PKCS#11 `CKA_EC_PARAMS` holds it. */
export const SECP256K1_OID_DER = "0x06052b8104000a";

/** An ECDSA signature as the key store gives it: no recovery id, `s` possibly high. */
export interface RawSignature {
  readonly r: bigint;
  readonly s: bigint;
}

/** A tiny DER reader: enough for ECDSA signatures, EC points and SubjectPublicKeyInfo. */
class DerReader {
  private i = 0;
  constructor(
    private readonly der: Uint8Array,
    private readonly what: string,
  ) {}

  /** Reads one TLV with tag `tag`; returns its contents. */
  read(tag: number): Uint8Array {
    if (this.der[this.i++] !== tag) throw this.fail();
    let len = this.der[this.i++];
    if (len === undefined) throw this.fail();
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 2) throw this.fail();
      len = 0;
      for (let k = 0; k < n; k++) len = (len << 8) | this.byte();
    }
    if (this.i + len > this.der.length) throw this.fail();
    const out = this.der.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }

  end(): void {
    if (this.i !== this.der.length) throw this.fail();
  }

  private byte(): number {
    const b = this.der[this.i++];
    if (b === undefined) throw this.fail();
    return b;
  }

  fail(): Error {
    return new SignatureRecoveryError(`not a DER-encoded ${this.what}`);
  }
}

const toBigInt = (bytes: Uint8Array): bigint => (bytes.length ? BigInt(hexlify(bytes)) : 0n);

/** Reads (r, s) from a DER `SEQUENCE { INTEGER r, INTEGER s }` (what AWS KMS `Sign` returns). */
export function parseDerSignature(der: Uint8Array): RawSignature {
  const outer = new DerReader(der, "ECDSA signature");
  const body = new DerReader(outer.read(0x30), "ECDSA signature");
  outer.end();
  const r = toBigInt(body.read(0x02));
  const s = toBigInt(body.read(0x02));
  body.end();
  return { r, s };
}

/** Reads (r, s) from the 64-byte r||s that PKCS#11 `CKM_ECDSA` returns for a 256-bit curve. */
export function parseRawSignature(raw: Uint8Array): RawSignature {
  if (raw.length !== 64) throw new SignatureRecoveryError(`expected a 64-byte r||s signature, got ${raw.length} bytes`);
  return { r: toBigInt(raw.subarray(0, 32)), s: toBigInt(raw.subarray(32)) };
}

const ID_EC_PUBLIC_KEY = "0x2a8648ce3d0201"; // 1.2.840.10045.2.1

/**
 * The uncompressed public key (0x04 || x || y) in a DER SubjectPublicKeyInfo (what AWS KMS
 * `GetPublicKey` returns); refuses any curve but secp256k1.
 */
export function publicKeyFromSpki(spki: Uint8Array): string {
  const outer = new DerReader(spki, "SubjectPublicKeyInfo");
  const info = new DerReader(outer.read(0x30), "SubjectPublicKeyInfo");
  outer.end();
  const algorithm = new DerReader(info.read(0x30), "SubjectPublicKeyInfo");
  const kind = hexlify(algorithm.read(0x06));
  const curve = hexlify(algorithm.read(0x06));
  if (kind !== ID_EC_PUBLIC_KEY || curve !== hexlify(getBytes(SECP256K1_OID_DER).subarray(2))) {
    throw new UnsupportedKeyError("the public key is not on secp256k1");
  }
  const bits = info.read(0x03);
  info.end();
  if (bits[0] !== 0) throw new UnsupportedKeyError("the public key's BIT STRING has unused bits");
  return uncompressedPoint(bits.subarray(1));
}

/** The uncompressed point in a PKCS#11 `CKA_EC_POINT` (a DER OCTET STRING around it, or the bare point). */
export function publicKeyFromEcPoint(value: Uint8Array): string {
  if (value.length === 65) return uncompressedPoint(value);
  const reader = new DerReader(value, "EC point");
  const point = reader.read(0x04);
  reader.end();
  return uncompressedPoint(point);
}

function uncompressedPoint(point: Uint8Array): string {
  if (point.length !== 65 || point[0] !== 0x04) throw new UnsupportedKeyError("expected an uncompressed secp256k1 public key (65 bytes, 0x04...)");
  const hex = hexlify(point);
  computeAddress(hex); // throws if the point is not on the curve
  return hex;
}

/**
 * An Ethereum signature of `digest` from a raw (r, s): `s` folded into the low half, and the recovery id
 * that recovers `address`. Throws `SignatureRecoveryError` if r or s is out of range or neither recovery
 * id gives `address` (a signature by another key, or a corrupted one).
 */
export function toEthereumSignature(digest: BytesLike, raw: RawSignature, address: string): Signature {
  const { r } = raw;
  if (r <= 0n || r >= SECP256K1_N || raw.s <= 0n || raw.s >= SECP256K1_N) throw new SignatureRecoveryError("the key store returned an out-of-range signature");
  const s = raw.s > SECP256K1_N / 2n ? SECP256K1_N - raw.s : raw.s;
  const want = getAddress(address);
  for (const yParity of [0, 1] as const) {
    const sig = Signature.from({ r: toBeHex(r, 32), s: toBeHex(s, 32), yParity });
    if (recoverAddress(digest, sig) === want) return sig;
  }
  throw new SignatureRecoveryError(`the key store's signature does not recover ${want}: it was not made by this key`);
}

/**
 * An ethers v6 Signer whose key lives in a key store that signs digests. Subclasses give the address and
 * `signDigest`; this class builds transactions (`sendTransaction` comes from `AbstractSigner`), EIP-191
 * messages and EIP-712 typed data on top, all through `signHash`.
 */
export abstract class DigestSigner extends AbstractSigner {
  /** The key's Ethereum address, derived from the public key the key store holds. */
  abstract readonly address: string;

  /** Signs a 32-byte digest in the key store; returns its raw (r, s). */
  protected abstract signDigest(digest: Uint8Array): Promise<RawSignature>;

  constructor(provider: Provider | null) {
    super(provider);
  }

  async getAddress(): Promise<string> {
    return this.address;
  }

  /** Signs a 32-byte hash as is (no prefix): low `s`, recovery id checked against the address. */
  async signHash(hash: BytesLike): Promise<Signature> {
    const digest = getBytes(hash);
    if (digest.length !== 32) throw new SignatureRecoveryError(`expected a 32-byte hash, got ${digest.length} bytes`);
    return toEthereumSignature(digest, await this.signDigest(digest), this.address);
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const tx = copyRequest(request);
    if (tx.to != null) tx.to = await resolveAddress(tx.to, this);
    if (tx.from != null) {
      const from = await resolveAddress(tx.from, this);
      if (getAddress(from) !== this.address) throw new SignatureRecoveryError(`transaction from ${getAddress(from)}, but this key is ${this.address}`);
      delete tx.from;
    }
    const unsigned = Transaction.from(tx as TransactionLike<string>);
    unsigned.signature = await this.signHash(unsigned.unsignedHash);
    return unsigned.serialized;
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    return (await this.signHash(hashMessage(message))).serialized;
  }

  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const resolved = await TypedDataEncoder.resolveNames(domain, types, value, async (name) => resolveAddress(name, this));
    return (await this.signHash(TypedDataEncoder.hash(resolved.domain, types, resolved.value))).serialized;
  }
}
