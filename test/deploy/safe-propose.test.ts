/**
 * `vault:deploy --propose` when the vault's admin is a real Safe (v1.5.0 artifacts): the steps go out as one
 * Safe transaction (a MultiSendCallOnly batch) when the signer alone can sign for the Safe, and otherwise as
 * a Transaction Builder file for its owners, with nothing sent.
 */
import { expect } from "chai";
import { readFileSync } from "fs";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ContractFactory } from "ethers";
import MultiSendCallOnlyArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json";
import { deploySafe, decodeMultiSend, execSafeTransaction, verifyTxBuilderBatch } from "../../sdk/safe";
import { AccessControlUnauthorizedAccountError, InvalidInputError } from "../../sdk/errors";
import type { DeployOutcome } from "../../tasks/deploy";
import { vaultLens } from "../helpers/fixture";
import { accounts, runTask, taskError, tempDir, testConfig, writeJson } from "./helpers";
import { views } from "../helpers/views";

const usd = (n: bigint) => n * 10n ** 6n;

async function safeAdminFixture() {
  const a = await accounts();
  const usdt = await ethers.deployContract("MockUSDT");
  const usdc = await ethers.deployContract("MockERC20", ["USD Coin (mock)", "USDC", 6]);
  const tokens = { usdt: await usdt.getAddress(), usdc: await usdc.getAddress() };
  // A 1-of-2 Safe (the admin alone can sign) and a 2-of-3 Safe (needs two owners).
  const soloSafe = await deploySafe({ deployer: a.deployer, owners: [a.admin.address, a.stranger.address], threshold: 1, saltNonce: 11n });
  const boardSafe = await deploySafe({ deployer: a.deployer, owners: [a.admin.address, a.guardian.address, a.stranger.address], threshold: 2, saltNonce: 12n });
  const multiSend = await new ContractFactory(MultiSendCallOnlyArtifact.abi, MultiSendCallOnlyArtifact.bytecode, a.deployer).deploy();
  const dir = tempDir();
  const solo = { ...testConfig(a, tokens, "solo-safe-vault"), admin: await soloSafe.getAddress() };
  const board = { ...testConfig(a, tokens, "board-safe-vault"), admin: await boardSafe.getAddress() };
  const soloVault = (await runTask<DeployOutcome>("vault:deploy", { configFile: writeJson(dir, "solo.json", solo), deployments: dir })).result.vault;
  const boardVault = (await runTask<DeployOutcome>("vault:deploy", { configFile: writeJson(dir, "board.json", board), deployments: dir })).result.vault;
  return { a, tokens, dir, soloSafe, boardSafe, multiSend: await multiSend.getAddress(), solo, board, soloVault, boardVault };
}

/** The config changed: an instant step (bot1's USDT cap down), a revocation, and a proposal (USDC vault cap up). */
function changed(raw: Record<string, any>): Record<string, any> {
  const c = structuredClone(raw);
  c.operators[0].caps.USDT = { cap: "800000", instantLimit: "250000", queueCap: "5000000" };
  c.operators[1].destinations.pop();
  c.tokens.USDC.vaultCap = "2000000";
  return c;
}

describe("deploy: vault:deploy --propose with an admin Safe", () => {
  it("a Safe the signer alone can sign for gets every step in one MultiSendCallOnly transaction, and the Transaction Builder file", async () => {
    const f = await loadFixture(safeAdminFixture);
    const vault = await ethers.getContractAt("GuardedVault", f.soloVault);
    const file = writeJson(f.dir, "solo-changed.json", changed(f.solo));
    const batchFile = `${f.dir}/solo-batch.json`;
    const nonce = await f.soloSafe.nonce();
    const before = await ethers.provider.getBlockNumber();
    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address, multiSend: f.multiSend, batchFile });

    expect(result.status).to.equal("applied");
    expect(await ethers.provider.getBlockNumber(), "one transaction").to.equal(before + 1);
    expect(await f.soloSafe.nonce()).to.equal(nonce + 1n);
    expect(stdout).to.match(/Applied 3 step\(s\) to "solo-safe-vault" at 0x[0-9a-fA-F]{40} through the admin Safe 0x[0-9a-fA-F]{40}, signed by .* in one transaction \(a MultiSendCallOnly batch\)/);
    // The instant steps took effect, the raise is proposed and waits.
    expect((await (await vaultLens()).operatorState(vault, f.a.bot1.address, f.tokens.usdt)).cap).to.equal(usd(800_000n));
    expect(await vault.isApproved(f.a.bot2.address, f.a.exchange2.address)).to.equal(false);
    expect(await vault.changeCount()).to.equal(1n);
    expect(stdout).to.include("Left to do or to wait for:");

    // The same steps in the file, which verifies as Safe{Wallet} would check it.
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const { transactions } = verifyTxBuilderBatch(JSON.parse(readFileSync(batchFile, "utf8")), { chainId, safe: await f.soloSafe.getAddress() });
    expect(transactions.map((t) => t.to)).to.deep.equal([f.soloVault, f.soloVault, f.soloVault]);
    expect(result.safeBatch!.steps).to.have.length(3);
    expect(result.safeBatch!.steps[2]).to.match(/^propose SetVaultCap\(token=USDC, vaultCap=2,000,000 USDC\)/);
    const [executed] = await f.soloSafe.queryFilter(f.soloSafe.filters.ExecutionSuccess(), before + 1, before + 1);
    expect((executed as import("ethers").EventLog).args.txHash).to.equal(result.safeBatch!.safeTxHash);

    // Run again: the instant steps are done and the proposal is pending, so nothing is left to send.
    const again = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address, multiSend: f.multiSend, batchFile });
    expect(again.result.status).to.equal("unchanged");
  });

  it("a Safe that needs more signatures gets the Transaction Builder file and its safeTxHash; nothing is sent", async () => {
    const f = await loadFixture(safeAdminFixture);
    const file = writeJson(f.dir, "board-changed.json", changed(f.board));
    const before = await ethers.provider.getBlockNumber();
    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address, multiSend: f.multiSend });
    expect(result.status).to.equal("batched");
    expect(await ethers.provider.getBlockNumber(), "nothing sent").to.equal(before);
    expect(stdout).to.match(/The admin of "board-safe-vault" is the Safe 0x[0-9a-fA-F]{40} \(2 of 3 owners\): nothing sent; it needs 2 owners' signatures\./);
    const batch = result.safeBatch!;
    expect(batch.file).to.match(/board-safe-vault\.propose-\d+\.tx-builder\.json$/);
    expect(stdout).to.include(`safeTxHash at nonce 0: ${batch.safeTxHash}`);

    // The hash is the Safe's own for the MultiSendCallOnly batch of the file's calls.
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const { transactions } = verifyTxBuilderBatch(JSON.parse(readFileSync(batch.file, "utf8")), { chainId, safe: await f.boardSafe.getAddress() });
    expect(transactions).to.have.length(3);
    const multiSend = await ethers.getContractAt(MultiSendCallOnlyArtifact.abi, f.multiSend);
    const packed = multiSend.interface.encodeFunctionData("multiSend", [
      ethers.concat(transactions.map((t) => ethers.solidityPacked(["uint8", "address", "uint256", "uint256", "bytes"], [0, t.to, t.value, ethers.dataLength(t.data), t.data]))),
    ]);
    expect(decodeMultiSend(packed)).to.deep.equal(transactions);
    const hash = await f.boardSafe.getTransactionHash(f.multiSend, 0n, packed, 1, 0n, 0n, 0n, ethers.ZeroAddress, ethers.ZeroAddress, 0n);
    expect(batch.safeTxHash).to.equal(hash);
  });

  it("vault:propose --unsigned --safe checks the proposal from the admin Safe before anyone signs; another Safe is refused with exit code 3", async () => {
    const f = await loadFixture(safeAdminFixture);
    const board = await f.boardSafe.getAddress();
    const args = { vault: f.boardVault, deployments: f.dir, kind: "SetVaultCap", params: '{"token":"USDC","vaultCap":"2000000"}', unsigned: true, json: true };
    const before = await ethers.provider.getBlockNumber();
    const checked = await runTask("vault:propose", { ...args, safe: board });
    const printed = JSON.parse(checked.stdout) as { unsigned: { to: string; data: string; value: string }; checkedFrom: string };
    expect(printed.checkedFrom).to.equal(board);
    expect(await ethers.provider.getBlockNumber(), "nothing sent").to.equal(before);
    // The Safe that is not the admin: the vault would refuse it, so nobody collects signatures for it.
    const wrong = await taskError("vault:propose", { ...args, safe: await f.soloSafe.getAddress() });
    expect(wrong.exitCode).to.equal(3);
    expect(wrong.error).to.be.instanceOf(AccessControlUnauthorizedAccountError);
    expect(wrong.message).to.match(/^would revert/);
    // --safe is for --unsigned only, and must be an address.
    expect((await taskError("vault:propose", { ...args, unsigned: false, safe: board })).error).to.be.instanceOf(InvalidInputError);
    expect((await taskError("vault:propose", { ...args, safe: "board" })).error).to.be.instanceOf(InvalidInputError);
    // What was checked is what the Safe's owners sign and send.
    const vault = await ethers.getContractAt("GuardedVault", f.boardVault);
    const count = await vault.changeCount();
    await execSafeTransaction({ safe: f.boardSafe, tx: { ...printed.unsigned, value: BigInt(printed.unsigned.value) }, owners: [f.a.admin, f.a.guardian] });
    expect(await vault.changeCount()).to.equal(count + 1n);
  });
});
