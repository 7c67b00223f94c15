/**
 * An ethers v6 Signer whose key never enters this process: every signature is made remotely over a
 * 32-byte digest (a cloud KMS `Sign` call with an ECC_SECG_P256K1 key, an HSM over PKCS#11, a signing
 * service). Give it to any SDK client in place of a Wallet; the SDK only calls `getAddress()` and
 * `sendTransaction()`, which `AbstractSigner` builds from `signTransaction()` below.
 *
 * KMS and HSM signatures come as DER-encoded (r, s) without the recovery id and may use the high `s`:
 * `toEthereumSignature` normalizes `s` and finds `v` by recovering the address.
 */
import {
  AbstractSigner,
  Signature,
  Transaction,
  TypedDataEncoder,
  copyRequest,
  getAddress,
  getBytes,
  hashMessage,
  hexlify,
  recoverAddress,
  resolveAddress,
  toBeHex,
  type Provider,
  type TransactionLike,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

/** Signs a 32-byte digest with the remote key; returns the DER-encoded ECDSA signature. */
export type RemoteSign = (digest: Uint8Array) => Promise<Uint8Array>;

/** secp256k1 group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Reads (r, s) from a DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  let i = 0;
  const expect = (tag: number) => {
    if (der[i++] !== tag) throw new Error("not a DER ECDSA signature");
  };
  const readLength = () => {
    const first = der[i++];
    if (first < 0x80) return first;
    let len = 0;
    for (let k = 0; k < (first & 0x7f); k++) len = (len << 8) | der[i++];
    return len;
  };
  const readInt = () => {
    expect(0x02);
    const len = readLength();
    const value = len === 0 ? 0n : BigInt(hexlify(der.slice(i, i + len)));
    i += len;
    return value;
  };
  expect(0x30);
  readLength();
  return { r: readInt(), s: readInt() };
}

/** An Ethereum signature from a raw (r, s): low `s`, and the `v` that recovers `address`. */
export function toEthereumSignature(digest: Uint8Array, rs: { r: bigint; s: bigint }, address: string): Signature {
  const s = rs.s > N / 2n ? N - rs.s : rs.s;
  for (const v of [27, 28]) {
    const sig = Signature.from({ r: toBeHex(rs.r, 32), s: toBeHex(s, 32), v });
    if (recoverAddress(digest, sig) === address) return sig;
  }
  throw new Error("the remote signature does not recover the signer's address");
}

export class RemoteKeySigner extends AbstractSigner {
  readonly address: string;
  private readonly remoteSign: RemoteSign;

  /** `address` is the key's Ethereum address (derived once from its public key). */
  constructor(address: string, remoteSign: RemoteSign, provider: Provider | null = null) {
    super(provider);
    this.address = getAddress(address);
    this.remoteSign = remoteSign;
  }

  async getAddress(): Promise<string> {
    return this.address;
  }

  connect(provider: Provider | null): RemoteKeySigner {
    return new RemoteKeySigner(this.address, this.remoteSign, provider);
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const tx = copyRequest(request);
    if (tx.from != null && getAddress(await resolveAddress(tx.from, this.provider)) !== this.address) {
      throw new Error("transaction from another account");
    }
    delete tx.from;
    if (tx.to != null) tx.to = await resolveAddress(tx.to, this.provider);
    const unsigned = Transaction.from(tx as TransactionLike<string>);
    unsigned.signature = await this.sign(unsigned.unsignedHash);
    return unsigned.serialized;
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    return (await this.sign(hashMessage(message))).serialized;
  }

  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return (await this.sign(TypedDataEncoder.hash(domain, types, value))).serialized;
  }

  private async sign(digestHex: string): Promise<Signature> {
    const digest = getBytes(digestHex);
    return toEthereumSignature(digest, parseDerSignature(await this.remoteSign(digest)), this.address);
  }
}
