/**
 * An approver whose key lives in an HSM (SoftHSM2 through Pkcs11Signer), as the README's separate
 * approval host runs it: the SDK's approval service, and the `vault:approve` / `vault:withdraw --approval`
 * / `vault:execute --approval` tasks with their exit codes.
 */
import { expect } from "chai";
import fs from "fs";
import path from "path";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChangeKind, deployVaultFixture, encodeChange, proposeOnly, usdt } from "../helpers/fixture";
import { runTask, taskError, tempDir } from "../deploy/helpers";
import { ApproverClient, OperatorClient, readOperatorRecord } from "../../sdk/clients";
import { Pkcs11Signer } from "../../sdk/signers";
import { approvalFromJson, recoverApprover, type SignedApprovalJson } from "../../sdk/rules";
import { DestinationNotApprovedError, InvalidInputError } from "../../sdk/errors";
import { MODULE, tokenWithKey, type TestToken } from "./softhsm";
import type { GeneratedPkcs11Key } from "../../sdk/signers";

let token: TestToken & { key: GeneratedPkcs11Key };
const hsm = () => ({ hsmToken: token.label, hsmKey: "approver", hsmPinEnv: token.pinEnv, hsmModule: MODULE });

/** The fixture's vault with the HSM key as approver, a co-signed cap for bot1 and a co-signed OTC desk. */
async function hsmApproverVault() {
  const f = await deployVaultFixture();
  const otc = (await ethers.getSigners())[17].address;
  const ids = [
    await proposeOnly(f.vault, f.admin, ChangeKind.AddApprover, encodeChange.address(token.key.address)),
    await proposeOnly(f.vault, f.admin, ChangeKind.SetCosignedCap, encodeChange.setCosignedCap(f.bot1.address, f.usdtAddr, usdt(400_000))),
    await proposeOnly(f.vault, f.admin, ChangeKind.ApproveCosignedDestination, encodeChange.approveDestination(f.bot1.address, otc)),
  ];
  await time.increase(await f.vault.changeDelay());
  for (const id of ids) await f.vault.connect(f.admin).executeChange(id);
  return { ...f, otc };
}

describe("approver key in an HSM (SoftHSM2): approval service and CLI", () => {
  before(async () => {
    token = await tokenWithKey("approver");
  });

  it("the approval service signs with a Pkcs11Signer (low s, recoverable) and the bot's co-signed withdrawal moves", async () => {
    const f = await loadFixture(hsmApproverVault);
    const signer = await Pkcs11Signer.open({ module: MODULE, token: token.label, key: { label: "approver" }, pin: { env: token.pinEnv }, provider: ethers.provider });
    const approver = await ApproverClient.create({ vault: f.vaultAddr, provider: ethers.provider, signer, check: async (r) => r.amount <= usdt(350_000) });
    expect(approver.approver).to.equal(token.key.address);
    const a = await approver.approve({ operator: f.bot1.address, token: f.usdtAddr, to: f.otc, amount: usdt(300_000), requestId: "otc-1" });
    expect(recoverApprover(a.digest, a.signature)).to.equal(token.key.address);
    const bot = await OperatorClient.create({ vault: f.vaultAddr, signer: f.bot1 });
    const r = await bot.withdraw({ token: f.usdtAddr, to: f.otc, amount: usdt(300_000) }, { approval: a });
    if (!r.sent) throw new Error("not sent");
    expect((await r.tx.wait()).status).to.equal("withdrawn");
    expect(await f.usdtToken.balanceOf(f.otc)).to.equal(usdt(300_000));
    await bot.stop();
  });

  it("vault:approve prints the approval as JSON (no secret in it); vault:withdraw --approval sends it co-signed; exit codes on refusal and bad files", async () => {
    const f = await loadFixture(hsmApproverVault);
    const dir = tempDir();
    const common = { vault: f.vaultAddr, operator: f.bot1.address };
    const { stdout, result } = await runTask<SignedApprovalJson>("vault:approve", { ...common, token: "USDT", to: f.otc, amount: "300000", ttl: "600", ...hsm() });
    const printed = JSON.parse(stdout) as SignedApprovalJson;
    expect(printed).to.deep.equal(JSON.parse(JSON.stringify(result)));
    expect(printed.approver).to.equal(token.key.address);
    expect(stdout).to.not.include(process.env[token.pinEnv]!);
    const file = path.join(dir, "approval.json");
    fs.writeFileSync(file, stdout);
    expect(approvalFromJson(stdout).amount).to.equal(usdt(300_000));

    // Another amount than the approval's: bad input, nothing sent.
    const wrong = await taskError("vault:withdraw", { vault: f.vaultAddr, from: f.bot1.address, token: "USDT", to: f.otc, amount: "300001", approval: file });
    expect(wrong.exitCode).to.equal(2);
    expect(wrong.error).to.be.instanceOf(InvalidInputError);
    expect(wrong.message).to.match(/approval is for another withdrawal \(amount 300000000000 base units\)/);
    // Not JSON.
    const junk = path.join(dir, "junk.json");
    fs.writeFileSync(junk, "{");
    expect((await taskError("vault:withdraw", { vault: f.vaultAddr, from: f.bot1.address, token: "USDT", to: f.otc, amount: "1", approval: junk })).exitCode).to.equal(2);

    const sent = await runTask<{ status: string }>("vault:withdraw", { vault: f.vaultAddr, from: f.bot1.address, token: "USDT", to: f.otc, amount: "300000", approval: file });
    expect(sent.result.status).to.equal("withdrawn");
    expect(sent.stdout).to.match(new RegExp(`withdrawn: 300000 USDT, co-signed by ${token.key.address}`));
    // The same approval again: refused locally (ApprovalAlreadyUsed), exit code 3.
    const again = await taskError("vault:withdraw", { vault: f.vaultAddr, from: f.bot1.address, token: "USDT", to: f.otc, amount: "300000", approval: file });
    expect(again.exitCode).to.equal(3);
    expect(again.message).to.match(/ApprovalAlreadyUsed/);

    // The approver refuses a destination that is neither approved nor co-signed: exit code 3, nothing printed.
    const refused = await taskError("vault:approve", { ...common, token: "USDT", to: f.attacker.address, amount: "5", ...hsm() });
    expect(refused.exitCode).to.equal(3);
    expect(refused.error).to.be.instanceOf(DestinationNotApprovedError);
    // Missing the request: bad input.
    expect((await taskError("vault:approve", { ...common, ...hsm() })).exitCode).to.equal(2);
  });

  it("vault:approve --withdrawal and vault:execute --approval release a queued withdrawal early", async () => {
    const f = await loadFixture(hsmApproverVault);
    await (await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(500_000))).wait();
    const id = await f.vault.withdrawalCount();
    const { stdout } = await runTask("vault:approve", { vault: f.vaultAddr, operator: f.bot1.address, withdrawal: id.toString(), ...hsm() });
    const file = path.join(tempDir(), "early.json");
    fs.writeFileSync(file, stdout);
    // Another id with this approval: bad input.
    expect((await taskError("vault:execute", { vault: f.vaultAddr, from: f.bot1.address, withdrawal: "99", approval: file })).exitCode).to.equal(2);
    // Over bot1's co-signed cap (400k): the vault would trip; refused locally with exit code 3.
    const over = await taskError("vault:execute", { vault: f.vaultAddr, from: f.bot1.address, withdrawal: id.toString(), approval: file });
    expect(over.exitCode).to.equal(3);
    expect(over.message).to.match(/CosignedCapExceeded/);
    expect((await readOperatorRecord(f.vault, f.bot1.address)).suspended).to.equal(false);
    // A smaller one goes.
    await (await f.vault.connect(f.bot1).queueWithdrawal(f.usdtAddr, f.exchange.address, usdt(200_000))).wait();
    const id2 = await f.vault.withdrawalCount();
    const second = await runTask("vault:approve", { vault: f.vaultAddr, operator: f.bot1.address, withdrawal: id2.toString(), ...hsm() });
    const file2 = path.join(tempDir(), "early2.json");
    fs.writeFileSync(file2, second.stdout);
    const before = await f.usdtToken.balanceOf(f.exchange.address);
    const r = await runTask<{ status: string }>("vault:execute", { vault: f.vaultAddr, from: f.bot1.address, withdrawal: id2.toString(), approval: file2 });
    expect(r.result.status).to.equal("withdrawn");
    expect(r.stdout).to.match(/released withdrawal #\d+ early: 200,000 USDT/);
    expect((await f.usdtToken.balanceOf(f.exchange.address)) - before).to.equal(usdt(200_000));
  });
});
