/**
 * Guardian tasks, instant and safety-increasing: `vault:pause`, `vault:suspend`, `vault:remove-operator`,
 * `vault:cancel` (a queued withdrawal or a proposed change). Each runs its call first with `eth_call` from the chosen account (a
 * guardian, or the admin) and sends it only if the vault would accept it ("would revert: ..." otherwise,
 * exit code 3), or with `--unsigned` prints the `{ to, data, value }` transaction for a guardian Safe to sign.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { TransactionReceipt } from "ethers";
import { InvalidInputError } from "../sdk/errors/base";
import type { SentTransaction, UnsignedTransaction } from "../sdk/clients";
import { DEPLOYMENTS_PARAM, FROM_PARAM, JSON_PARAM, Output, SAFE_PARAM, VAULT_PARAM, action, parseId, preflightCall, preflightUnsigned, resolveVault, signerFor, type SendArgs } from "./lib";
import { withKeyParams } from "./keys";

export interface GuardianArgs extends SendArgs {
  readonly unsigned?: boolean;
  readonly safe?: string;
}

/** Either prints the unsigned transaction, or sends it with the guardian client and waits. */
async function sendOrPrint(
  hre: HardhatRuntimeEnvironment,
  args: GuardianArgs,
  what: string,
  build: (sdk: typeof import("../sdk/clients"), vault: string) => {
    unsigned: UnsignedTransaction;
    send: (client: InstanceType<typeof import("../sdk/clients").GuardianClient>) => Promise<SentTransaction<TransactionReceipt>>;
  },
) {
  const sdk = await import("../sdk/clients");
  const out = new Output(args.json ?? false);
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const { unsigned, send } = build(sdk, vault.address);
  const checkedFrom = await preflightUnsigned(hre, args, unsigned);
  if (args.unsigned) {
    out.print(`${what}: unsigned transaction for a Safe (nothing sent)`);
    out.print(`  to:    ${unsigned.to}\n  value: ${unsigned.value}\n  data:  ${unsigned.data}`);
    out.print(checkedFrom ? `  checked: the vault accepts it from ${checkedFrom}` : "  not checked: give --safe <address> to check it from the Safe first");
    out.data({ action: what, unsigned, checkedFrom });
    return { unsigned, transactionHash: null };
  }
  const signer = await signerFor(hre, args);
  await preflightCall(hre, await signer.getAddress(), unsigned);
  const sent = await send(new sdk.GuardianClient({ vault: vault.address, signer }));
  const receipt = await out.waiting(`waiting for ${sent.hash}`, () => sent.wait());
  out.print(`${what}: done by ${await signer.getAddress()} (tx ${receipt.hash})`);
  out.data({ action: what, unsigned, transactionHash: receipt.hash });
  return { unsigned, transactionHash: receipt.hash };
}

export const runPause = (args: GuardianArgs, hre: HardhatRuntimeEnvironment) =>
  sendOrPrint(hre, args, "pause", (sdk, vault) => ({ unsigned: new sdk.GuardianTransactions(vault).pause(), send: (c) => c.pause() }));

export interface SuspendArgs extends GuardianArgs {
  readonly operator: string;
}

export const runSuspend = (args: SuspendArgs, hre: HardhatRuntimeEnvironment) =>
  sendOrPrint(hre, args, `suspend operator ${args.operator}`, (sdk, vault) => ({
    unsigned: new sdk.GuardianTransactions(vault).suspendOperator(args.operator),
    send: (c) => c.suspendOperator(args.operator),
  }));

export const runRemoveOperator = (args: SuspendArgs, hre: HardhatRuntimeEnvironment) =>
  sendOrPrint(hre, args, `remove operator ${args.operator}`, (sdk, vault) => ({
    unsigned: new sdk.GuardianTransactions(vault).removeOperator(args.operator),
    send: (c) => c.removeOperator(args.operator),
  }));

export interface CancelArgs extends GuardianArgs {
  readonly withdrawal?: string;
  readonly change?: string;
}

export async function runCancel(args: CancelArgs, hre: HardhatRuntimeEnvironment) {
  if ((args.withdrawal === undefined) === (args.change === undefined)) throw new InvalidInputError("withdrawal", "give exactly one of --withdrawal <id> and --change <id>");
  if (args.withdrawal !== undefined) {
    const id = parseId(args.withdrawal, "withdrawal");
    return sendOrPrint(hre, args, `cancel queued withdrawal #${id}`, (sdk, vault) => ({
      unsigned: new sdk.GuardianTransactions(vault).cancelWithdrawal(id),
      send: (c) => c.cancelWithdrawal(id),
    }));
  }
  const id = parseId(args.change, "change");
  return sendOrPrint(hre, args, `cancel proposed change #${id}`, (sdk, vault) => ({
    unsigned: new sdk.GuardianTransactions(vault).cancelChange(id),
    send: (c) => c.cancelChange(id),
  }));
}

const UNSIGNED_PARAM = "Print the unsigned { to, data, value } transaction for a guardian Safe instead of sending";

withKeyParams(task("vault:pause", "Pause the vault at once (a guardian or the admin): no operator outflow on any path until an Unpause change is executed"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addFlag("unsigned", UNSIGNED_PARAM)
  .addOptionalParam("safe", SAFE_PARAM)
  .addOptionalParam("from", `${FROM_PARAM}; a guardian or the admin`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:pause", runPause, { required: ["vault"] }));

withKeyParams(task("vault:suspend", "Suspend an operator at once (a guardian or the admin): nothing it sends moves funds until an UnsuspendOperator change is executed"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("operator", "Address of the operator to suspend (required)")
  .addFlag("unsigned", UNSIGNED_PARAM)
  .addOptionalParam("safe", SAFE_PARAM)
  .addOptionalParam("from", `${FROM_PARAM}; a guardian or the admin`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:suspend", runSuspend, { required: ["vault", "operator"] }));

withKeyParams(task("vault:remove-operator", "Remove an operator at once (a guardian or the admin): its limits, destinations and pending queued withdrawals end, its slot is freed; adding the key back is a timelocked SetOperatorLimits"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("operator", "Address of the operator to remove (required)")
  .addFlag("unsigned", UNSIGNED_PARAM)
  .addOptionalParam("safe", SAFE_PARAM)
  .addOptionalParam("from", `${FROM_PARAM}; a guardian or the admin`)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:remove-operator", runRemoveOperator, { required: ["vault", "operator"] }));

withKeyParams(task("vault:cancel", "Cancel a pending queued withdrawal (a guardian, the admin or its operator) or a pending proposed change (a guardian or the admin)"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("withdrawal", "Id of the queued withdrawal to cancel")
  .addOptionalParam("change", "Id of the proposed change to cancel")
  .addFlag("unsigned", UNSIGNED_PARAM)
  .addOptionalParam("safe", SAFE_PARAM)
  .addOptionalParam("from", FROM_PARAM)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:cancel", runCancel, { required: ["vault"] }));
