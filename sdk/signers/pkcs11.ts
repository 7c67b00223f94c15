/**
 * A PKCS#11 signer: the secp256k1 key lives on an HSM token (SoftHSM2 for development and CI, a network
 * or PCIe HSM in production: the same PKCS#11 calls) and never leaves it. A host that is compromised can
 * make the key sign only while the attacker is on it; it cannot copy the key.
 *
 * `Pkcs11Signer.open` loads the vendor's module (`PKCS11_MODULE`, default SoftHSM2's), finds the token by
 * label, logs in with the PIN from an environment variable or a file, finds the private key by label or
 * id and derives the address from the public key stored next to it (same id, or same label). Each digest
 * is signed with `CKM_ECDSA`; the r||s answer goes through the shared `toEthereumSignature` (low `s`,
 * recovery id). Signing is serialized per signer (one session, one operation at a time). If the module
 * closes the session (HSM restart, idle timeout, a logout by another process), the next signature opens a
 * new session, logs in again and checks that the key under the label is still the same one.
 *
 * `generatePkcs11Key` creates a key pair on the token: private half sensitive and not extractable, so
 * that neither its value nor a wrapped copy can be read back.
 *
 * `pkcs11js` (a native addon) is an optional peer dependency, loaded only when a PKCS#11 signer is used.
 */
import { createHmac, randomBytes, timingSafeEqual } from "crypto";
import { computeAddress, getAddress, getBytes, hexlify, isHexString } from "ethers";
import type { Provider } from "ethers";
import { DigestSigner, SECP256K1_OID_DER, parseRawSignature, publicKeyFromEcPoint, type RawSignature } from "./ecdsa";
import {
  KeyStoreError,
  Pkcs11Error,
  Pkcs11KeyChangedError,
  Pkcs11KeyExistsError,
  Pkcs11KeyNotFoundError,
  Pkcs11PinIncorrectError,
  Pkcs11PinLockedError,
  Pkcs11TokenNotFoundError,
  UnsupportedKeyError,
} from "./errors";
import { InvalidInputError } from "../errors/base";
import { readPin, type PinSource } from "./pin";
import { ckrOf, loadLib, loadPkcs11Module, type Handle, type Lib, type Module, type Template } from "./pkcs11-module";

/** Where Debian and Ubuntu install SoftHSM2's module (`apt-get install softhsm2`). */
export const SOFTHSM2_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

/** The PKCS#11 module path: `PKCS11_MODULE` from the environment, else SoftHSM2's. */
export const defaultPkcs11Module = (): string => process.env.PKCS11_MODULE || SOFTHSM2_MODULE;

/** A key on the token, by its `CKA_LABEL` or its `CKA_ID` (hex). */
export type Pkcs11KeySelector = { readonly label: string } | { readonly id: string };

export interface Pkcs11SignerOptions {
  /** Path of the PKCS#11 module (default: `defaultPkcs11Module()`). */
  readonly module?: string;
  /** The token's label. */
  readonly token: string;
  readonly key: Pkcs11KeySelector;
  /** Where the user PIN is read from (an environment variable or a file), at login and at every re-login. */
  readonly pin: PinSource;
  readonly provider?: Provider | null;
}

export interface GeneratePkcs11KeyOptions {
  readonly module?: string;
  readonly token: string;
  readonly pin: PinSource;
  /** `CKA_LABEL` of both halves; must not exist on the token yet. */
  readonly label: string;
  /** `CKA_ID` (hex) of both halves; 8 random bytes by default. */
  readonly id?: string;
}

export interface GeneratedPkcs11Key {
  readonly label: string;
  /** `CKA_ID`, hex. */
  readonly id: string;
  /** The uncompressed public key (0x04...). */
  readonly publicKey: string;
  readonly address: string;
}

/**
 * PKCS#11 login state is per application and token: once one session logged in, `C_Login` on another
 * answers CKR_USER_ALREADY_LOGGED_IN without checking the PIN. So that a wrong PIN is still refused in a
 * process that already holds a login, each successful login leaves a keyed hash of its PIN here (the key
 * is random per process; the PIN itself is not kept).
 */
const loginKey = randomBytes(32);
const loggedInWith = new Map<string, Buffer>();
const pinTag = (pin: string): Buffer => createHmac("sha256", loginKey).update(pin).digest();

/** Return values after which a new session (and login) may succeed. */
const SESSION_LOST = new Set([
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_USER_NOT_LOGGED_IN",
  "CKR_OBJECT_HANDLE_INVALID",
  "CKR_KEY_HANDLE_INVALID",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_OPERATION_ACTIVE",
]);

const trimLabel = (label: string): string => label.replace(/[\s\0]+$/, "");

const describeKey = (key: Pkcs11KeySelector): string => ("label" in key ? `label "${key.label}"` : `id ${key.id}`);

function normalizeId(id: string): string {
  const hex = id.startsWith("0x") ? id : `0x${id}`;
  if (!isHexString(hex) || hex.length <= 2 || hex.length % 2) throw new InvalidInputError("key.id", `expected non-empty hex, got "${id}"`);
  return hex.toLowerCase();
}

/** One token in one module: slot lookup, sessions and login, with errors that say which token. */
class Token {
  constructor(
    readonly p: Lib,
    readonly m: Module,
    readonly label: string,
    private readonly pin: PinSource,
  ) {}

  slot(): Handle {
    const seen: string[] = [];
    let found: Handle | undefined;
    for (const slot of this.call("C_GetSlotList", () => this.m.C_GetSlotList(true))) {
      const info = this.call("C_GetTokenInfo", () => this.m.C_GetTokenInfo(slot));
      if (!(info.flags & this.p.CKF_TOKEN_INITIALIZED)) continue;
      const label = trimLabel(info.label);
      seen.push(label);
      if (label !== this.label) continue;
      if (found) throw new Pkcs11Error(`more than one PKCS#11 token is labelled "${this.label}"`);
      found = slot;
    }
    if (!found) throw new Pkcs11TokenNotFoundError(this.label, seen);
    return found;
  }

  /** A new session on the token, logged in as the user. */
  openSession(readWrite: boolean): Handle {
    const flags = this.p.CKF_SERIAL_SESSION | (readWrite ? this.p.CKF_RW_SESSION : 0);
    const slot = this.slot();
    const session = this.call("C_OpenSession", () => this.m.C_OpenSession(slot, flags));
    const loginId = `${this.m.libPath}\0${this.label}`;
    try {
      const pin = readPin(this.pin);
      const tag = pinTag(pin);
      try {
        this.m.C_Login(session, this.p.CKU_USER, pin);
        loggedInWith.set(loginId, tag);
      } catch (e) {
        const ckr = ckrOf(e);
        if (ckr === "CKR_USER_ALREADY_LOGGED_IN") {
          const known = loggedInWith.get(loginId);
          if (known && !timingSafeEqual(known, tag)) throw new Pkcs11PinIncorrectError(this.label, "not the PIN this process logged in with", e);
        } else {
          if (ckr === "CKR_PIN_INCORRECT" || ckr === "CKR_PIN_LEN_RANGE") throw new Pkcs11PinIncorrectError(this.label, ckr, e);
          if (ckr === "CKR_PIN_LOCKED") throw new Pkcs11PinLockedError(this.label, e);
          throw this.error("C_Login", e);
        }
      }
    } catch (e) {
      this.closeSession(session);
      throw e;
    }
    return session;
  }

  closeSession(session: Handle): void {
    try {
      this.m.C_CloseSession(session);
    } catch {
      // already closed by the module
    }
  }

  find(session: Handle, template: Template): Handle[] {
    this.call("C_FindObjectsInit", () => this.m.C_FindObjectsInit(session, template));
    try {
      return this.call("C_FindObjects", () => this.m.C_FindObjects(session, 2));
    } finally {
      this.m.C_FindObjectsFinal(session);
    }
  }

  call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.error(what, e);
    }
  }

  error(what: string, e: unknown): unknown {
    if (e instanceof KeyStoreError) return e;
    const ckr = ckrOf(e);
    if (ckr === undefined) return e;
    return new Pkcs11Error(`token "${this.label}": ${what} failed with ${ckr}`, { cause: e, ckr });
  }
}

/** The private key's handle and the public key stored next to it. */
function findKeyPair(token: Token, session: Handle, key: Pkcs11KeySelector): { privateKey: Handle; publicKey: string; id: string | null } {
  const { p, m } = token;
  const by: Template = "label" in key ? [{ type: p.CKA_LABEL, value: key.label }] : [{ type: p.CKA_ID, value: Buffer.from(getBytes(normalizeId(key.id))) }];
  const privates = token.find(session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }, ...by]);
  if (privates.length === 0) throw new Pkcs11KeyNotFoundError(token.label, describeKey(key), "no private key with");
  if (privates.length > 1) throw new Pkcs11KeyNotFoundError(token.label, describeKey(key), "more than one private key with");
  const [privateKey] = privates;
  const attrs = token.call("C_GetAttributeValue", () => m.C_GetAttributeValue(session, privateKey, [{ type: p.CKA_KEY_TYPE }, { type: p.CKA_SIGN }, { type: p.CKA_ID }]));
  if (attrs[0].value?.readUInt8(0) !== p.CKK_EC) throw new UnsupportedKeyError(`token "${token.label}": the key with ${describeKey(key)} is not an EC key`);
  if (!attrs[1].value?.readUInt8(0)) throw new UnsupportedKeyError(`token "${token.label}": the key with ${describeKey(key)} may not sign (CKA_SIGN is false)`);
  const id = attrs[2].value?.length ? hexlify(attrs[2].value) : null;
  const pairedBy: Template = id !== null ? [{ type: p.CKA_ID, value: Buffer.from(getBytes(id)) }] : by;
  const publics = token.find(session, [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, ...pairedBy]);
  if (publics.length !== 1) throw new Pkcs11KeyNotFoundError(token.label, id !== null ? `id ${id}` : describeKey(key), publics.length ? "more than one public key with" : "no public key (needed for the address) with");
  const [params, point] = token.call("C_GetAttributeValue", () => m.C_GetAttributeValue(session, publics[0], [{ type: p.CKA_EC_PARAMS }, { type: p.CKA_EC_POINT }]));
  if (!params.value || hexlify(params.value) !== SECP256K1_OID_DER) throw new UnsupportedKeyError(`token "${token.label}": the key with ${describeKey(key)} is not on secp256k1`);
  if (!point.value) throw new UnsupportedKeyError(`token "${token.label}": the public key has no CKA_EC_POINT`);
  return { privateKey, publicKey: publicKeyFromEcPoint(point.value), id };
}

/** A logged-in session holding one key, shared by a signer and its `connect()`ed copies. */
class KeySession {
  private session: Handle | null = null;
  private privateKey: Handle | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  address = "";
  /** Sessions opened so far (1 after `open`; each recovery adds one). */
  opened = 0;

  constructor(
    readonly token: Token,
    readonly key: Pkcs11KeySelector,
  ) {}

  /** Opens a session, logs in, finds the key; checks that it is still the same key after a re-open. */
  connect(): void {
    const session = this.token.openSession(false);
    try {
      const pair = findKeyPair(this.token, session, this.key);
      const address = computeAddress(pair.publicKey);
      if (this.address && address !== this.address) {
        throw new Pkcs11KeyChangedError(`token "${this.token.label}": the key with ${describeKey(this.key)} is now ${address}, not ${this.address}`);
      }
      this.address = address;
      this.session = session;
      this.privateKey = pair.privateKey;
      this.opened++;
    } catch (e) {
      this.token.closeSession(session);
      throw e;
    }
  }

  sign(digest: Uint8Array): Promise<Uint8Array> {
    const run = this.queue.then(() => this.signNow(digest));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async signNow(digest: Uint8Array): Promise<Uint8Array> {
    const { p, m } = this.token;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new KeyStoreError(`the signer for token "${this.token.label}" is closed`);
      try {
        if (!this.session || !this.privateKey) this.connect();
        m.C_SignInit(this.session!, { mechanism: p.CKM_ECDSA }, this.privateKey!);
        return new Uint8Array(await m.C_SignAsync(this.session!, Buffer.from(digest), Buffer.alloc(64)));
      } catch (e) {
        const ckr = ckrOf(e);
        if (attempt === 0 && ckr !== undefined && SESSION_LOST.has(ckr)) {
          if (this.session) this.token.closeSession(this.session);
          this.session = null;
          this.privateKey = null;
          continue;
        }
        throw this.token.error("C_Sign", e);
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.session) this.token.closeSession(this.session);
    this.session = null;
    this.privateKey = null;
  }
}

/** An ethers v6 Signer whose secp256k1 key is on a PKCS#11 token. */
export class Pkcs11Signer extends DigestSigner {
  readonly address: string;

  private constructor(
    private readonly keySession: KeySession,
    provider: Provider | null,
  ) {
    super(provider);
    this.address = getAddress(keySession.address);
  }

  /**
   * Loads the module, logs in to the token and finds the key. Throws `Pkcs11ModuleNotFoundError`,
   * `Pkcs11TokenNotFoundError`, `PinUnavailableError`, `Pkcs11PinIncorrectError`, `Pkcs11PinLockedError`,
   * `Pkcs11KeyNotFoundError`, `UnsupportedKeyError` or `SignerDependencyMissingError`.
   */
  static async open(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
    const p = await loadLib();
    const m = await loadPkcs11Module(options.module ?? defaultPkcs11Module());
    const keySession = new KeySession(new Token(p, m, options.token, options.pin), options.key);
    keySession.connect();
    return new Pkcs11Signer(keySession, options.provider ?? null);
  }

  /** The token's label. */
  get token(): string {
    return this.keySession.token.label;
  }

  /** Sessions this signer has opened: 1, plus one for each time the module closed it and it logged in again. */
  get sessionsOpened(): number {
    return this.keySession.opened;
  }

  connect(provider: Provider | null): Pkcs11Signer {
    return new Pkcs11Signer(this.keySession, provider);
  }

  /** Closes the session (for this signer and its `connect()`ed copies); later signatures throw. */
  close(): void {
    this.keySession.close();
  }

  protected async signDigest(digest: Uint8Array): Promise<RawSignature> {
    return parseRawSignature(await this.keySession.sign(digest));
  }
}

/**
 * Generates a secp256k1 key pair on the token: both halves persistent (`CKA_TOKEN`) under `label` and
 * `id`; the private half private, sensitive, never extractable and for signing only, so the token never
 * reveals it, in clear or wrapped. Returns the public key and address. Refuses a label already in use.
 */
export async function generatePkcs11Key(options: GeneratePkcs11KeyOptions): Promise<GeneratedPkcs11Key> {
  const p = await loadLib();
  const m = await loadPkcs11Module(options.module ?? defaultPkcs11Module());
  const token = new Token(p, m, options.token, options.pin);
  const id = normalizeId(options.id ?? hexlify(randomBytes(8)));
  const idBytes = Buffer.from(getBytes(id));
  const session = token.openSession(true);
  try {
    if (token.find(session, [{ type: p.CKA_LABEL, value: options.label }]).length) throw new Pkcs11KeyExistsError(options.token, `label "${options.label}"`);
    if (token.find(session, [{ type: p.CKA_ID, value: idBytes }]).length) throw new Pkcs11KeyExistsError(options.token, `id ${id}`);
    const pair = await token.call("C_GenerateKeyPair", () =>
      m.C_GenerateKeyPairAsync(
        session,
        { mechanism: p.CKM_EC_KEY_PAIR_GEN },
        [
          { type: p.CKA_TOKEN, value: true },
          { type: p.CKA_PRIVATE, value: false },
          { type: p.CKA_VERIFY, value: true },
          { type: p.CKA_EC_PARAMS, value: Buffer.from(getBytes(SECP256K1_OID_DER)) },
          { type: p.CKA_LABEL, value: options.label },
          { type: p.CKA_ID, value: idBytes },
        ],
        [
          { type: p.CKA_TOKEN, value: true },
          { type: p.CKA_PRIVATE, value: true },
          { type: p.CKA_SENSITIVE, value: true },
          { type: p.CKA_EXTRACTABLE, value: false },
          { type: p.CKA_SIGN, value: true },
          { type: p.CKA_DERIVE, value: false },
          { type: p.CKA_LABEL, value: options.label },
          { type: p.CKA_ID, value: idBytes },
        ],
      ),
    ).catch((e: unknown) => {
      throw token.error("C_GenerateKeyPair", e);
    });
    const [point] = token.call("C_GetAttributeValue", () => m.C_GetAttributeValue(session, pair.publicKey, [{ type: p.CKA_EC_POINT }]));
    const publicKey = publicKeyFromEcPoint(point.value!);
    return { label: options.label, id, publicKey, address: computeAddress(publicKey) };
  } finally {
    token.closeSession(session);
  }
}
