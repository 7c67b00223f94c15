/**
 * Tasks for development networks (the in-process `hardhat` network and a local `npx hardhat node`), which
 * the README's quickstart uses: `vault:dev-tokens` deploys mock tokens at the fixed addresses that
 * `config/local.vault.json` names, and `vault:time` moves the chain's clock past a delay. Both refuse any
 * other network.
 */
import { getCreateAddress } from "ethers";
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAmount, parseDuration } from "../sdk/deploy/config";
import { InvalidInputError } from "../sdk/errors/base";
import { JSON_PARAM, Output, action, isDevNetwork } from "./lib";

/** The account that deploys the mock tokens: Hardhat's default account #19, which nothing else uses. */
export const DEV_TOKEN_DEPLOYER_INDEX = 19;

/** The mock tokens, in deployment order: token i lands at the CREATE address of account #19 with nonce i. */
export const DEV_TOKENS = [
  { symbol: "USDT", contract: "MockUSDT", args: [] as unknown[], decimals: 6, note: "no return values, like mainnet USDT" },
  { symbol: "USDC", contract: "MockERC20", args: ["USD Coin (mock)", "USDC", 6] as unknown[], decimals: 6, note: "OpenZeppelin ERC-20" },
] as const;

function requireDevNetwork(hre: HardhatRuntimeEnvironment, what: string): void {
  if (!isDevNetwork(hre)) throw new InvalidInputError("network", `${what} only on a development network (hardhat, or localhost for npx hardhat node), not ${hre.network.name}`);
}

export interface DevTokensArgs {
  readonly mint?: string;
  readonly json?: boolean;
}

export interface DevToken {
  readonly symbol: string;
  readonly address: string;
  readonly decimals: number;
  readonly deployed: boolean;
}

export async function runDevTokens(args: DevTokensArgs, hre: HardhatRuntimeEnvironment): Promise<DevToken[]> {
  requireDevNetwork(hre, "mock tokens are deployed");
  const out = new Output(args.json ?? false);
  const signers = await hre.ethers.getSigners();
  if (signers.length <= DEV_TOKEN_DEPLOYER_INDEX) {
    throw new InvalidInputError("network", `${hre.network.name} has ${signers.length} accounts; the mock tokens come from account #${DEV_TOKEN_DEPLOYER_INDEX} (Hardhat's default accounts)`);
  }
  const deployer = signers[DEV_TOKEN_DEPLOYER_INDEX];
  const holders = signers.slice(0, 10);
  const tokens: DevToken[] = [];
  const toMint: { mint(to: string, amount: bigint): Promise<{ wait(): Promise<unknown> }>; amount: bigint }[] = [];
  // All deployments first (nonces 0, 1, ...), then the mints, so that each token lands at its fixed address.
  for (const [i, spec] of DEV_TOKENS.entries()) {
    const address = getCreateAddress({ from: deployer.address, nonce: i });
    const minted = parseAmount(args.mint ?? "10000000", spec.decimals, "mint");
    if ((await hre.ethers.provider.getCode(address)) !== "0x") {
      tokens.push({ symbol: spec.symbol, address, decimals: spec.decimals, deployed: false });
      continue;
    }
    const nonce = await hre.ethers.provider.getTransactionCount(deployer.address);
    if (nonce !== i) {
      throw new InvalidInputError(
        "network",
        `account #${DEV_TOKEN_DEPLOYER_INDEX} (${deployer.address}) has sent ${nonce} transaction(s) on this chain, so ${spec.symbol} cannot land at ${address}, where config/local.vault.json expects it: start a fresh node`,
      );
    }
    out.progress(`deploying ${spec.symbol}`);
    const factory = await hre.ethers.getContractFactory(spec.contract, deployer);
    const token = await factory.deploy(...spec.args);
    await token.waitForDeployment();
    out.done();
    toMint.push(Object.assign(token.connect(deployer) as unknown as { mint(to: string, amount: bigint): Promise<{ wait(): Promise<unknown> }> }, { amount: minted }));
    tokens.push({ symbol: spec.symbol, address, decimals: spec.decimals, deployed: true });
  }
  for (const token of toMint) for (const h of holders) await (await token.mint(h.address, token.amount)).wait();
  const mint = args.mint ?? "10000000";
  for (const t of tokens) {
    out.print(
      t.deployed
        ? `${t.symbol.padEnd(5)} ${t.address}  deployed now (${DEV_TOKENS.find((s) => s.symbol === t.symbol)!.note}); ${mint} ${t.symbol} minted to each of accounts #0-#9`
        : `${t.symbol.padEnd(5)} ${t.address}  already deployed`,
    );
  }
  out.data({ network: hre.network.name, tokens });
  return tokens;
}

export interface TimeArgs {
  readonly advance?: string;
  readonly json?: boolean;
}

export async function runTime(args: TimeArgs, hre: HardhatRuntimeEnvironment) {
  const seconds = parseDuration(args.advance !== undefined && /^\d+$/.test(args.advance) ? Number(args.advance) : args.advance, "advance");
  requireDevNetwork(hre, "the clock can be moved");
  const out = new Output(args.json ?? false);
  await hre.network.provider.send("evm_increaseTime", [Number(seconds)]);
  await hre.network.provider.send("evm_mine", []);
  const block = await hre.ethers.provider.getBlock("latest");
  const timestamp = BigInt(block!.timestamp);
  out.print(`advanced ${args.advance}: block ${block!.number} at ${new Date(Number(timestamp) * 1000).toISOString().replace(".000Z", "Z")}`);
  out.data({ advanced: seconds, blockNumber: block!.number, timestamp });
  return { advanced: seconds, blockNumber: block!.number, timestamp };
}

task("vault:dev-tokens", "Development networks only: deploy the mock USDT and USDC that config/local.vault.json names (fixed addresses, from account #19) and mint them to accounts #0-#9")
  .addOptionalParam("mint", "Whole tokens of each to mint to each of accounts #0-#9 when the token is deployed", "10000000")
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:dev-tokens", runDevTokens));

task("vault:time", "Development networks only: move the chain's clock forward and mine a block, e.g. past a withdrawal or change delay")
  .addOptionalParam("advance", 'How far (required): seconds, or a duration such as "24h", "90m", "2d"')
  .addFlag("json", JSON_PARAM)
  .setAction(action("vault:time", runTime, { required: ["advance"] }));
