/**
 * Errors of the key-store signers (PKCS#11 and AWS KMS). Each is a `VaultSdkError`. Messages name the
 * token, key label, key id or environment variable involved, never a PIN or any key material.
 */
import { VaultSdkError } from "../errors/base";

/** Base class of the errors of the PKCS#11 and KMS signers. */
export class KeyStoreError extends VaultSdkError {}

/** An optional peer dependency of a signer is not installed (`pkcs11js`, `@aws-sdk/client-kms`). */
export class SignerDependencyMissingError extends KeyStoreError {
  readonly packageName: string;
  constructor(packageName: string, cause: unknown) {
    super(`this signer needs the package ${packageName}: npm install ${packageName}`, { cause });
    this.packageName = packageName;
  }
}

/** The PIN could not be read: its environment variable is unset or empty, or its file is unreadable or empty. */
export class PinUnavailableError extends KeyStoreError {}

/** The key is not a secp256k1 signing key (wrong curve, key spec or usage). */
export class UnsupportedKeyError extends KeyStoreError {}

/** The key store returned a signature that does not recover the key's address (or is malformed). */
export class SignatureRecoveryError extends KeyStoreError {}

/** Base class of the PKCS#11 errors; `ckr` is the PKCS#11 return value's name when the module gave one. */
export class Pkcs11Error extends KeyStoreError {
  readonly ckr: string | undefined;
  constructor(message: string, options: { cause?: unknown; ckr?: string } = {}) {
    super(message, { cause: options.cause });
    this.ckr = options.ckr;
  }
}

/** The PKCS#11 module (the HSM vendor's shared library, e.g. libsofthsm2.so) cannot be loaded. */
export class Pkcs11ModuleNotFoundError extends Pkcs11Error {
  readonly modulePath: string;
  constructor(modulePath: string, cause: unknown) {
    super(`cannot load the PKCS#11 module ${modulePath} (is the HSM's library installed? for SoftHSM2: apt-get install softhsm2)`, { cause });
    this.modulePath = modulePath;
  }
}

/** No initialized token with this label in any slot of the module. */
export class Pkcs11TokenNotFoundError extends Pkcs11Error {
  readonly token: string;
  /** Labels of the tokens the module does show. */
  readonly available: readonly string[];
  constructor(token: string, available: readonly string[]) {
    super(`no PKCS#11 token labelled "${token}" (tokens present: ${available.length ? available.map((l) => `"${l}"`).join(", ") : "none"})`);
    this.token = token;
    this.available = available;
  }
}

/** The token refused the user PIN (CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE). */
export class Pkcs11PinIncorrectError extends Pkcs11Error {
  readonly token: string;
  constructor(token: string, ckr: string, cause: unknown) {
    super(`the PIN of token "${token}" was refused (${ckr})`, { cause, ckr });
    this.token = token;
  }
}

/** The token's user PIN is locked after too many wrong attempts (CKR_PIN_LOCKED): the security officer must reset it. */
export class Pkcs11PinLockedError extends Pkcs11Error {
  readonly token: string;
  constructor(token: string, cause: unknown) {
    super(`the user PIN of token "${token}" is locked (CKR_PIN_LOCKED); the security officer must reset it`, { cause, ckr: "CKR_PIN_LOCKED" });
    this.token = token;
  }
}

/** No private key (or no matching public key) with this label or id on the token, or more than one. */
export class Pkcs11KeyNotFoundError extends Pkcs11Error {
  readonly token: string;
  readonly key: string;
  constructor(token: string, key: string, detail: string) {
    super(`token "${token}": ${detail} ${key}`);
    this.token = token;
    this.key = key;
  }
}

/** The token already holds an object with this label or id (key generation never duplicates either). */
export class Pkcs11KeyExistsError extends Pkcs11Error {
  readonly token: string;
  readonly key: string;
  constructor(token: string, key: string) {
    super(`token "${token}" already holds a key with ${key}`);
    this.token = token;
    this.key = key;
  }
}

/** After re-opening a session, the key found under the label is not the key the signer started with. */
export class Pkcs11KeyChangedError extends Pkcs11Error {}

/** An AWS KMS request failed; `awsError` is the service's error name (`NotFoundException`, `DisabledException`, ...). */
export class KmsRequestError extends KeyStoreError {
  readonly operation: string;
  readonly keyId: string;
  readonly awsError: string;
  constructor(operation: string, keyId: string, awsError: string, cause: unknown) {
    super(`AWS KMS ${operation} for key ${keyId} failed: ${awsError}${messageOf(cause)}`, { cause });
    this.operation = operation;
    this.keyId = keyId;
    this.awsError = awsError;
  }
}

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : "";
  return m ? ` (${m})` : "";
}
