import { expect } from "chai";
import fs from "fs";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, type ErrorFragment } from "ethers";
import { POLICY, deployVaultFixture } from "../helpers/fixture";
import { AdminClient, GuardianClient, OperatorClient, vaultInterface } from "../../sdk/clients";
import { readExposure } from "../../sdk/monitor";
import { readListedTokens } from "../../sdk/format";
import {
  NotAVaultError,
  NotAdminOrGuardianError,
  RevertWithoutDataError,
  RpcError,
  UnrecognizedRevertError,
  VAULT_ERROR_CLASSES,
  VaultRevertError,
  VaultSdkError,
  ZeroAmountError,
  decodeVaultError,
  toSdkError,
  vaultError,
} from "../../sdk/errors";
import { OUTPUT, generateFromArtifacts } from "../../scripts/gen-sdk-errors";
import { operatorClient, recordedSigner } from "./helpers";

function sampleArgs(fragment: ErrorFragment): unknown[] {
  return fragment.inputs.map((p, i) => {
    if (p.baseType === "address") return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x1000 + i), 20));
    if (p.baseType === "bool") return i % 2 === 0;
    if (p.baseType.startsWith("bytes")) return ethers.id(`arg${i}`);
    return BigInt(7 + i);
  });
}

describe("SDK errors", () => {
  it("the generated classes match the compiled ABI (regenerate with npm run gen:sdk-errors)", () => {
    expect(fs.readFileSync(OUTPUT, "utf8")).to.equal(generateFromArtifacts());
  });

  it("every custom error of the vault decodes to its own class with its arguments by name", () => {
    const fragments = vaultInterface.fragments.filter((f): f is ErrorFragment => f.type === "error");
    expect(fragments.length).to.be.greaterThan(40);
    expect(Object.keys(VAULT_ERROR_CLASSES).sort()).to.deep.equal(fragments.map((f) => f.name).sort());
    for (const fragment of fragments) {
      const values = sampleArgs(fragment);
      const data = vaultInterface.encodeErrorResult(fragment, values);
      const err = decodeVaultError(data, { transactionHash: "0xabc" });
      const cls = VAULT_ERROR_CLASSES[fragment.name as keyof typeof VAULT_ERROR_CLASSES];
      expect(err, fragment.name).to.be.instanceOf(cls);
      expect(err).to.be.instanceOf(VaultRevertError);
      expect(err).to.be.instanceOf(VaultSdkError);
      expect(err).to.be.instanceOf(Error);
      expect(err!.errorName).to.equal(fragment.name);
      expect(err!.name).to.equal(`${fragment.name}Error`);
      expect(err!.source).to.equal("chain");
      expect(err!.data).to.equal(data);
      expect(err!.transactionHash).to.equal("0xabc");
      expect(Object.values(err!.args)).to.deep.equal(values);
      expect(Object.keys(err!.args)).to.deep.equal(fragment.inputs.map((p) => p.name));
      expect(err!.message).to.contain(`${fragment.name}(`);
      expect((cls as unknown as { selector: string }).selector).to.equal(fragment.selector);
      // And back from data, e.g. a preflight's prediction.
      const again = vaultError(err!.toData(), { source: "preflight" });
      expect(again).to.be.instanceOf(cls);
      expect(again.message).to.match(/^would revert: /);
    }
    expect(new ZeroAmountError({}).message).to.equal("reverted: ZeroAmount(): An amount argument was zero.");
  });

  it("classifies what providers throw: vault reverts, other revert data, reverts without data, RPC failures", async () => {
    const f = await loadFixture(deployVaultFixture);
    // Hardhat's provider and ethers' JSON-RPC provider report reverts differently; both decode.
    const hh = await f.vault.connect(f.stranger).pause().catch((e: unknown) => e);
    const { signer } = await recordedSigner(f.stranger.address);
    const viaEthers = await f.vault.connect(signer).pause().catch((e: unknown) => e);
    for (const e of [hh, viaEthers]) {
      const err = toSdkError(e);
      expect(err).to.be.instanceOf(NotAdminOrGuardianError);
      expect((err as NotAdminOrGuardianError).args).to.deep.equal({ account: f.stranger.address });
      expect((err as NotAdminOrGuardianError).cause).to.equal(e);
    }

    // Error(string) bubbled up from a token: revert data, but not one of the vault's errors.
    const noAllowance = await f.vault.connect(f.stranger).deposit(f.usdtAddr, 1n).catch((e: unknown) => e);
    const unrecognized = toSdkError(noAllowance);
    expect(unrecognized).to.be.instanceOf(UnrecognizedRevertError);
    expect((unrecognized as UnrecognizedRevertError).reason).to.equal("Error(allowance)");
    const panic = toSdkError({ data: ethers.concat(["0x4e487b71", ethers.toBeHex(0x11, 32)]) });
    expect((panic as UnrecognizedRevertError).reason).to.equal("Panic(17)");
    expect((toSdkError({ data: "0x12345678" }) as UnrecognizedRevertError).reason).to.equal(null);

    // No data: a selector the vault has no function for, through either provider.
    const unknownHh = await f.stranger.sendTransaction({ to: f.vaultAddr, data: "0xdeadbeef" }).catch((e: unknown) => e);
    const unknownEthers = await signer.sendTransaction({ to: f.vaultAddr, data: "0xdeadbeef" }).catch((e: unknown) => e);
    expect(toSdkError(unknownHh)).to.be.instanceOf(RevertWithoutDataError);
    expect(toSdkError(unknownEthers)).to.be.instanceOf(RevertWithoutDataError);

    // RPC failures: an unreachable node, an injected JSON-RPC error.
    const dead = new JsonRpcProvider("http://127.0.0.1:1", 31337, { staticNetwork: true });
    const down = toSdkError(await dead.getBlockNumber().catch((e: unknown) => e));
    expect(down).to.be.instanceOf(RpcError);
    expect((down as RpcError).code).to.equal("ECONNREFUSED");
    dead.destroy();
    expect(toSdkError(new Error("socket hang up"))).to.be.instanceOf(RpcError);
    const same = new RpcError("x", { cause: null });
    expect(toSdkError(same)).to.equal(same);
  });

  it("client calls surface the same classes: out of gas is a revert without data, mined failures too", async () => {
    const f = await loadFixture(deployVaultFixture);
    const bot = await operatorClient(f);
    const oog = await bot.withdraw({ token: f.usdtAddr, to: f.exchange.address, amount: 1n }, { overrides: { gasLimit: 40_000n } }).catch((e: unknown) => e);
    expect(oog).to.be.instanceOf(RevertWithoutDataError);
    expect((oog as RevertWithoutDataError).transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(bot.available(f.usdtAddr).amount, "the failed send reserved nothing").to.equal(POLICY.usdt.instant);

    // A transaction that is accepted and fails only when mined: wait() reports it.
    await network.provider.send("evm_setAutomine", [false]);
    try {
      const g = new GuardianClient({ vault: f.vaultAddr, signer: f.stranger });
      const sent = await g.pause({ gasLimit: 100_000n });
      await network.provider.send("evm_mine");
      const err = await sent.wait().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RevertWithoutDataError);
      expect((err as RevertWithoutDataError).transactionHash).to.equal(sent.hash);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
  });

  it("a client on an address without a vault says so, not 'could not decode result data'", async () => {
    const f = await loadFixture(deployVaultFixture);
    const provider = ethers.provider;
    const nowhere = f.stranger.address; // an account: no code
    const attempts: [string, () => Promise<unknown>][] = [
      ["OperatorClient.create", () => OperatorClient.create({ vault: nowhere, signer: f.bot1, fromBlock: 0 })],
      ["AdminClient.readPolicy", () => new AdminClient({ vault: nowhere, provider }).readPolicy({ fromBlock: 0 })],
      ["readListedTokens", () => readListedTokens({ provider, vault: nowhere })],
      ["readExposure", () => readExposure({ provider, vault: nowhere })],
    ];
    for (const [what, attempt] of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err, what).to.be.instanceOf(NotAVaultError);
      expect((err as Error).message, what).to.match(/is not a GuardedVault: (no contract code there|\w+\(\) returned no data: no vault at this address on this chain)/);
      expect((err as Error).message, what).to.not.include("could not decode");
    }
  });
});
