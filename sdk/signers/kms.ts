/**
 * An AWS KMS signer: the secp256k1 key (`ECC_SECG_P256K1`, usage `SIGN_VERIFY`) lives in KMS and signs
 * 32-byte digests through `Sign` with `ECDSA_SHA_256` and `MessageType: DIGEST`; the address comes from
 * `GetPublicKey`. KMS answers in DER and does not normalize `s`: the same `toEthereumSignature` as the
 * PKCS#11 signer folds `s` and finds the recovery id.
 *
 * `@aws-sdk/client-kms` is an optional peer dependency, loaded only when a KMS signer is opened. Pass a
 * `KMSClient` of your own, or its configuration (region, credentials, `endpoint` for a VPC endpoint).
 */
import { computeAddress, getAddress } from "ethers";
import type { Provider } from "ethers";
import type { GetPublicKeyCommandOutput, KMSClientConfig, SignCommandOutput } from "@aws-sdk/client-kms";
import { DigestSigner, parseDerSignature, publicKeyFromSpki, type RawSignature } from "./ecdsa";
import { KeyStoreError, KmsRequestError, SignerDependencyMissingError, UnsupportedKeyError } from "./errors";

type Kms = typeof import("@aws-sdk/client-kms");

/**
 * What the signer needs of a client: a `KMSClient` from `@aws-sdk/client-kms` fits. (Typed structurally so
 * that the declarations of `sdk/signers` do not require the package where it is not installed.)
 */
export interface KmsClientLike {
  send(command: object): Promise<object>;
}

/** The usual settings of a `KMSClient` (for anything else, pass your own `client`). */
export interface KmsClientSettings {
  readonly region?: string;
  /** E.g. a VPC endpoint. */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly maxAttempts?: number;
}

export interface AwsKmsSignerOptions {
  /** Key id, key ARN, alias name (`alias/...`) or alias ARN. */
  readonly keyId: string;
  /** A client to use (a `KMSClient`); otherwise one is made from `clientConfig`. */
  readonly client?: KmsClientLike;
  readonly clientConfig?: KmsClientSettings;
  readonly provider?: Provider | null;
}

let kms: Kms | undefined;

async function loadKms(): Promise<Kms> {
  if (kms) return kms;
  try {
    const imported = (await import("@aws-sdk/client-kms")) as Kms & { default?: Kms };
    kms = imported.default ?? imported;
  } catch (e) {
    throw new SignerDependencyMissingError("@aws-sdk/client-kms", e);
  }
  return kms;
}

interface KmsKey {
  readonly lib: Kms;
  readonly client: KmsClientLike;
  /** The key's ARN as `GetPublicKey` returned it (aliases resolved). */
  readonly keyId: string;
}

/** An ethers v6 Signer whose secp256k1 key is in AWS KMS. */
export class AwsKmsSigner extends DigestSigner {
  readonly address: string;

  private constructor(
    private readonly key: KmsKey,
    address: string,
    provider: Provider | null,
  ) {
    super(provider);
    this.address = getAddress(address);
  }

  /**
   * Reads the key's public key (`GetPublicKey`) and checks that it is a secp256k1 signing key. Throws
   * `KmsRequestError` (unknown key, no permission, disabled key, ...), `UnsupportedKeyError` or
   * `SignerDependencyMissingError`.
   */
  static async open(options: AwsKmsSignerOptions): Promise<AwsKmsSigner> {
    const lib = await loadKms();
    const client: KmsClientLike = options.client ?? new lib.KMSClient({ ...options.clientConfig } as KMSClientConfig);
    const out = await request("GetPublicKey", options.keyId, () => client.send(new lib.GetPublicKeyCommand({ KeyId: options.keyId })) as Promise<GetPublicKeyCommandOutput>);
    if (out.KeySpec !== "ECC_SECG_P256K1") throw new UnsupportedKeyError(`KMS key ${options.keyId} is ${out.KeySpec ?? "of an unknown spec"}, not ECC_SECG_P256K1`);
    if (out.KeyUsage !== "SIGN_VERIFY") throw new UnsupportedKeyError(`KMS key ${options.keyId} has usage ${out.KeyUsage ?? "unknown"}, not SIGN_VERIFY`);
    if (out.SigningAlgorithms && !out.SigningAlgorithms.includes("ECDSA_SHA_256")) throw new UnsupportedKeyError(`KMS key ${options.keyId} does not sign with ECDSA_SHA_256`);
    if (!out.PublicKey) throw new KeyStoreError(`KMS GetPublicKey for ${options.keyId} returned no public key`);
    const address = computeAddress(publicKeyFromSpki(out.PublicKey));
    return new AwsKmsSigner({ lib, client, keyId: out.KeyId ?? options.keyId }, address, options.provider ?? null);
  }

  /** The key's ARN (or the id given, if KMS did not return one). */
  get keyId(): string {
    return this.key.keyId;
  }

  connect(provider: Provider | null): AwsKmsSigner {
    return new AwsKmsSigner(this.key, this.address, provider);
  }

  protected async signDigest(digest: Uint8Array): Promise<RawSignature> {
    const { lib, client, keyId } = this.key;
    const out = await request("Sign", keyId, () =>
      client.send(new lib.SignCommand({ KeyId: keyId, Message: digest, MessageType: "DIGEST", SigningAlgorithm: "ECDSA_SHA_256" })) as Promise<SignCommandOutput>,
    );
    if (!out.Signature) throw new KeyStoreError(`KMS Sign for ${keyId} returned no signature`);
    return parseDerSignature(out.Signature);
  }
}

async function request<T>(operation: string, keyId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    const name = e instanceof Error ? e.name : "Error";
    throw new KmsRequestError(operation, keyId, name, e);
  }
}
