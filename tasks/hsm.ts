/**
 * Setting up a key in an HSM, through the same PKCS#11 calls for SoftHSM2 and a hardware module:
 *
 * - `vault:hsm-keygen --hsm-token LABEL --hsm-key LABEL`: generates a secp256k1 key pair on the token (the
 *   private half sensitive and never extractable) and prints its address, to put in the vault's config;
 * - `vault:hsm-address --hsm-token LABEL --hsm-key LABEL`: prints the address of a key already there.
 *
 * The PIN comes from `$HSM_PIN` (or `--hsm-pin-env NAME`, `--hsm-pin-file PATH`), never the command line.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError } from "../sdk/errors/base";
import { JSON_PARAM, Output, action } from "./lib";
import { withHsmParams, withPinFrom, type KeyArgs } from "./keys";

export interface HsmKeyArgs extends KeyArgs {
  readonly hsmId?: string;
  readonly json?: boolean;
}

function tokenAndKey(args: HsmKeyArgs): { token: string; label: string } {
  if (!args.hsmToken) throw new InvalidInputError("hsm-token", "give the token's label: --hsm-token LABEL");
  if (!args.hsmKey) throw new InvalidInputError("hsm-key", "give the key's label: --hsm-key LABEL");
  return { token: args.hsmToken, label: args.hsmKey };
}

export async function runHsmKeygen(args: HsmKeyArgs, _hre: HardhatRuntimeEnvironment) {
  const { generatePkcs11Key } = await import("../sdk/signers");
  const out = new Output(args.json ?? false);
  const { token, label } = tokenAndKey(args);
  const key = await withPinFrom(args, (pin) => generatePkcs11Key({ module: args.hsmModule, token, label, id: args.hsmId, pin }));
  out.print(`generated a secp256k1 key on token "${token}": label "${key.label}", id ${key.id}; the private key is sensitive and cannot be extracted`);
  out.print(`address: ${key.address}`);
  const result = { token, label: key.label, id: key.id, address: key.address, publicKey: key.publicKey };
  out.data(result);
  return result;
}

export async function runHsmAddress(args: HsmKeyArgs, _hre: HardhatRuntimeEnvironment) {
  const { Pkcs11Signer } = await import("../sdk/signers");
  const out = new Output(args.json ?? false);
  const { token, label } = tokenAndKey(args);
  const signer = await withPinFrom(args, (pin) => Pkcs11Signer.open({ module: args.hsmModule, token, key: { label }, pin }));
  try {
    out.print(signer.address);
    out.data({ token, label, address: signer.address });
    return { token, label, address: signer.address };
  } finally {
    signer.close();
  }
}

withHsmParams(task("vault:hsm-keygen", "Generate a secp256k1 key pair in an HSM token (non-extractable) and print its address; PIN from $HSM_PIN"))
  .addOptionalParam("hsmId", "CKA_ID of the new key, hex (default: 8 random bytes)")
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:hsm-keygen", runHsmKeygen));

withHsmParams(task("vault:hsm-address", "Print the address of a key in an HSM token; PIN from $HSM_PIN"))
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:hsm-address", runHsmAddress));
