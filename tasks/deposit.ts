/**
 * `vault:deposit`: funds a vault from the chosen account, any number of listed tokens at once: ERC-20
 * tokens through `deposit(token, amount)` (after an `approve`), ETH as a plain transfer. Balances are
 * checked first, so a short account sends nothing.
 */
import { Contract } from "ethers";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAmount } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import { withKeyParams } from "./keys";
import { DEPLOYMENTS_PARAM, FROM_PARAM, JSON_PARAM, Output, TaskRefusal, VAULT_PARAM, action, resolveVault, signerFor, type SendArgs } from "./lib";

export interface DepositArgs extends SendArgs {
  readonly amounts?: string;
}

const ERC20_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address,address) view returns (uint256)",
  // No return value declared: USDT-style tokens return nothing, and sending does not decode it.
  "function approve(address,uint256)",
];

export async function runDeposit(args: DepositArgs, hre: HardhatRuntimeEnvironment) {
  const { findToken, readListedTokens } = await import("../sdk/format");
  const { formatAmount } = await import("../sdk/monitor");
  const { NATIVE } = await import("../sdk/rules");
  const out = new Output(args.json ?? false);
  const entries = (args.amounts ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (!entries.length) throw new InvalidInputError("amounts", 'expected TOKEN=AMOUNT pairs, e.g. "USDT=2000000,ETH=100"');
  const vault = await resolveVault(hre, args.vault, args.deployments);
  const provider = hre.ethers.provider;
  const listed = await readListedTokens({ provider, vault: vault.address });
  const wanted = entries.map((entry, i) => {
    const [ref, amount, extra] = entry.split("=").map((x) => x.trim());
    if (!ref || amount === undefined || extra !== undefined) throw new InvalidInputError(`amounts[${i}]`, `expected TOKEN=AMOUNT, got ${JSON.stringify(entry)}`);
    const token = findToken(listed, ref, `amounts[${i}]`);
    const value = parseAmount(amount, token.decimals, `amounts[${i}]`);
    if (value === 0n) throw new InvalidInputError(`amounts[${i}]`, "must be greater than zero");
    return { token, amount: value, text: amount };
  });
  const signer = await signerFor(hre, args);
  const from = await signer.getAddress();
  for (const w of wanted) {
    const balance = w.token.token === NATIVE ? await provider.getBalance(from) : ((await new Contract(w.token.token, ERC20_ABI, provider).balanceOf(from)) as bigint);
    if (balance < w.amount) {
      throw new TaskRefusal(`${from} holds ${formatAmount(balance, w.token.decimals)} ${w.token.symbol}, less than the ${w.text} ${w.token.symbol} to deposit`);
    }
  }
  const vaultContract = await hre.ethers.getContractAt("GuardedVault", vault.address, signer);
  const done: { token: string; symbol: string; amount: bigint; transactionHash: string }[] = [];
  for (const w of wanted) {
    let hash: string;
    if (w.token.token === NATIVE) {
      const tx = await signer.sendTransaction({ to: vault.address, value: w.amount });
      hash = (await out.waiting(`depositing ${w.text} ETH`, () => tx.wait()))!.hash;
    } else {
      const erc20 = new Contract(w.token.token, ERC20_ABI, signer);
      const allowance = (await erc20.allowance(from, vault.address)) as bigint;
      // USDT-style tokens refuse to change a non-zero allowance to another non-zero one.
      if (allowance !== 0n && allowance < w.amount) await (await erc20.approve(vault.address, 0n)).wait();
      if (allowance < w.amount) await (await erc20.approve(vault.address, w.amount)).wait();
      const tx = await vaultContract.deposit(w.token.token, w.amount);
      hash = (await out.waiting(`depositing ${w.text} ${w.token.symbol}`, () => tx.wait()))!.hash;
    }
    done.push({ token: w.token.token, symbol: w.token.symbol, amount: w.amount, transactionHash: hash });
    out.print(`deposited ${w.text} ${w.token.symbol} into ${vault.name ?? vault.address} from ${from} (tx ${hash})`);
  }
  out.data({ vault: vault.address, from, deposits: done });
  return done;
}

withKeyParams(task("vault:deposit", "Fund a vault from the chosen account: listed ERC-20 tokens through deposit() (approving first), ETH as a plain transfer"))
  .addOptionalParam("vault", VAULT_PARAM)
  .addOptionalParam("amounts", 'What to deposit (required), in whole tokens: "USDT=2000000,USDC=500000,ETH=100"')
  .addOptionalParam("from", FROM_PARAM)
  .addOptionalParam("deployments", DEPLOYMENTS_PARAM)
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:deposit", runDeposit, { required: ["vault", "amounts"] }));
