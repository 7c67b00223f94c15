/**
 * Where a task's key comes from, shared by every task that signs:
 *
 * - an HSM: `--hsm-token LABEL --hsm-key LABEL`, the PIN from the environment variable `--hsm-pin-env`
 *   (default `HSM_PIN`) or the file `--hsm-pin-file`, the module from `--hsm-module` or `PKCS11_MODULE`
 *   (default SoftHSM2's). The key signs inside the HSM and never reaches this process;
 * - an environment variable holding a hex private key: `--key-env NAME`;
 * - an account of the network (`--from`, or `--guardian` for the responder).
 *
 * A PIN or private key is never a command-line argument (they show in `ps` and shell history) and never
 * appears in output or errors: messages name the variable or file only.
 */
import type { Signer } from "ethers";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError } from "../sdk/errors/base";

/** The key parameters a signing task accepts (see `withKeyParams`). */
export interface KeyArgs {
  readonly keyEnv?: string;
  readonly hsmToken?: string;
  readonly hsmKey?: string;
  readonly hsmPinEnv?: string;
  readonly hsmPinFile?: string;
  readonly hsmModule?: string;
}

export const DEFAULT_PIN_ENV = "HSM_PIN";

export const HSM_TOKEN_PARAM = "Label of the HSM token that holds the key (with --hsm-key; PIN from --hsm-pin-env or --hsm-pin-file)";
export const HSM_KEY_PARAM = "Label of the key on the HSM token (CKA_LABEL)";
export const HSM_PIN_ENV_PARAM = `Name of the environment variable holding the token's user PIN (default ${DEFAULT_PIN_ENV})`;
export const HSM_PIN_FILE_PARAM = "Path of a file holding the token's user PIN (instead of --hsm-pin-env)";
export const HSM_MODULE_PARAM = "Path of the HSM's PKCS#11 module (default: $PKCS11_MODULE, else SoftHSM2's /usr/lib/softhsm/libsofthsm2.so)";
export const KEY_ENV_PARAM = "Name of the environment variable holding the private key (hex); prefer an HSM key (--hsm-token, --hsm-key)";

/** Adds the HSM parameters (`--hsm-token`, `--hsm-key`, `--hsm-pin-env`, `--hsm-pin-file`, `--hsm-module`). */
export function withHsmParams<T extends ConfigurableTaskDefinition>(definition: T): T {
  definition
    .addOptionalParam("hsmToken", HSM_TOKEN_PARAM)
    .addOptionalParam("hsmKey", HSM_KEY_PARAM)
    .addOptionalParam("hsmPinEnv", HSM_PIN_ENV_PARAM)
    .addOptionalParam("hsmPinFile", HSM_PIN_FILE_PARAM)
    .addOptionalParam("hsmModule", HSM_MODULE_PARAM);
  return definition;
}

/** Adds the HSM parameters and `--key-env`: the ways besides `--from` to give a task its key. */
export function withKeyParams<T extends ConfigurableTaskDefinition>(definition: T): T {
  withHsmParams(definition).addOptionalParam("keyEnv", KEY_ENV_PARAM);
  return definition;
}

/** Whether `args` name a key (HSM or `--key-env`) rather than a network account. */
export const namesKey = (args: KeyArgs): boolean =>
  [args.keyEnv, args.hsmToken, args.hsmKey, args.hsmPinEnv, args.hsmPinFile, args.hsmModule].some((v) => v !== undefined);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The PIN source the HSM parameters name: a file, or an environment variable (`HSM_PIN` by default). */
export function pinSourceOf(args: KeyArgs): { env: string } | { file: string } {
  if (args.hsmPinEnv !== undefined && args.hsmPinFile !== undefined) throw new InvalidInputError("hsm-pin-file", "give --hsm-pin-env or --hsm-pin-file, not both");
  if (args.hsmPinFile !== undefined) return { file: args.hsmPinFile };
  const env = args.hsmPinEnv ?? DEFAULT_PIN_ENV;
  if (!ENV_NAME.test(env)) throw new InvalidInputError("hsm-pin-env", "expected the NAME of an environment variable, got something else (the PIN itself is never passed on the command line)");
  return { env };
}

/**
 * Runs `fn`, which reads the PIN `args` name. If a variable named with `--hsm-pin-env` is unset, the error
 * does not repeat the name: it may be the PIN itself, typed there by mistake.
 */
export async function withPinFrom<T>(args: KeyArgs, fn: (pin: { env: string } | { file: string }) => Promise<T>): Promise<T> {
  const pin = pinSourceOf(args);
  try {
    return await fn(pin);
  } catch (e) {
    const { PinUnavailableError } = await import("../sdk/signers");
    if (e instanceof PinUnavailableError && args.hsmPinEnv !== undefined && "env" in pin) {
      throw new PinUnavailableError("the environment variable named by --hsm-pin-env is not set (its name is not repeated, in case it is the PIN itself)");
    }
    throw e;
  }
}

/**
 * The signer `args` name, connected to the network's provider: an HSM key (`--hsm-token` and `--hsm-key`)
 * or `--key-env`. Call only when `namesKey(args)`. Errors are typed SDK errors (`InvalidInputError`, the
 * HSM's `Pkcs11...Error`s, `PinUnavailableError`), which the tasks print as one line.
 */
export async function keySigner(hre: HardhatRuntimeEnvironment, args: KeyArgs): Promise<Signer> {
  const hsm = args.hsmToken !== undefined || args.hsmKey !== undefined || args.hsmPinEnv !== undefined || args.hsmPinFile !== undefined || args.hsmModule !== undefined;
  if (hsm && args.keyEnv !== undefined) throw new InvalidInputError("key-env", "give either an HSM key (--hsm-token, --hsm-key) or --key-env, not both");
  if (hsm) {
    if (!args.hsmToken) throw new InvalidInputError("hsm-token", "the HSM key needs --hsm-token LABEL (the token's label)");
    if (!args.hsmKey) throw new InvalidInputError("hsm-key", "the HSM key needs --hsm-key LABEL (the key's label on the token)");
    const { Pkcs11Signer } = await import("../sdk/signers");
    const [token, label] = [args.hsmToken, args.hsmKey];
    return withPinFrom(args, (pin) => Pkcs11Signer.open({ module: args.hsmModule, token, key: { label }, pin, provider: hre.ethers.provider }));
  }
  const name = args.keyEnv;
  if (name === undefined) throw new InvalidInputError("key-env", "no key given");
  if (!ENV_NAME.test(name) || /^(0x)?[0-9a-fA-F]{64}$/.test(name)) {
    throw new InvalidInputError("key-env", "expected the NAME of an environment variable, got something else (a key is never passed on the command line)");
  }
  const key = process.env[name];
  if (!key) throw new InvalidInputError("key-env", `the environment variable ${name} (--key-env) is not set`);
  try {
    return new hre.ethers.Wallet(key, hre.ethers.provider);
  } catch {
    throw new InvalidInputError("key-env", `the environment variable ${name} does not hold a valid private key`);
  }
}
