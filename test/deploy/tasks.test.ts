import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AdminTransactions, GuardianTransactions } from "../../sdk/clients";
import {
  DestinationNotApprovedError,
  InvalidInputError,
  NotAdminOrGuardianError,
  WithdrawalNotReadyError,
} from "../../sdk/errors";
import { EXIT } from "../../tasks/cli";
import { type VaultStatus } from "../../sdk/format";
import { formatAmount, type ExposureReport } from "../../sdk/monitor";
import { NATIVE } from "../../sdk/rules";
import { deployedFixture, runTask, taskError } from "./helpers";
import { vaultLens } from "../helpers/fixture";
import { views } from "../helpers/views";

const usd = (n: bigint) => n * 10n ** 6n;
const VAULT_TASKS = ["deploy", "status", "exposure", "withdraw", "queue", "execute", "pause", "cancel", "suspend", "propose", "watch"].map((t) => `vault:${t}`);

describe("deploy: vault tasks", () => {
  it("every vault task is registered with --help text for itself and each parameter", () => {
    for (const name of VAULT_TASKS) {
      const t = hre.tasks[name];
      expect(t, name).to.not.equal(undefined);
      expect(t.description, name).to.be.a("string").with.length.above(40);
      const params = [...Object.values(t.paramDefinitions), ...t.positionalParamDefinitions];
      for (const p of params) expect(p.description, `${name} --${p.name}`).to.be.a("string").with.length.above(10);
    }
  });

  describe("vault:status and vault:exposure", () => {
    it("vault:status prints the policy, balances and operators, found by record name or address", async () => {
      const f = await loadFixture(deployedFixture);
      const { stdout } = await runTask("vault:status", { vault: "test-vault", deployments: f.dir });
      expect(stdout).to.include(`Vault ${f.vault} at block`);
      expect(stdout).to.include("state:      active; suspended operators: none");
      expect(stdout).to.match(/USDT\s+20,000,000\s+1,500,000\s+0\s+1,500,000/);
      // Named with the config's labels, which the deployment record keeps.
      expect(stdout).to.match(/\nbot2\s+USDC\s+600,000\s+150,000\s+3,000,000/);
      expect(stdout).to.include(`admin:      admin (${f.a.admin.address})`);
      expect(stdout).to.include("Pending queue (0)");
      const byAddress = await runTask<VaultStatus>("vault:status", { vault: f.vault, json: true });
      const json = JSON.parse(byAddress.stdout);
      expect(json.policy.admin).to.equal(f.a.admin.address);
      expect(json.policy.tokens.find((t: { token: string }) => t.token === NATIVE).balance).to.equal((2_000n * 10n ** 18n).toString());
      expect(byAddress.result.policy.guardians).to.have.members([f.a.guardian.address, f.a.guardian2.address]);
      const unknown = await taskError("vault:status", { vault: "no-such-vault", deployments: f.dir });
      expect(unknown.error).to.be.instanceOf(InvalidInputError);
      expect(unknown.message).to.include("no deployment record");
    });

    it("vault:exposure prints the worst case per key and for all keys, equal to the vault's own views", async () => {
      const f = await loadFixture(deployedFixture);
      const { stdout, result } = await runTask<ExposureReport>("vault:exposure", { vault: f.vault, horizons: "1h,24h" });
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      const usdt = await f.usdt.getAddress();
      const bot1Usdt = result.tokens.find((t) => t.token === usdt)!.operators.find((o) => o.operator === f.a.bot1.address)!;
      expect(bot1Usdt.bounds[1].total).to.equal((await (await vaultLens()).operatorExposure(vault, f.a.bot1.address, usdt, 86_400n)).total);
      const all24h = (await (await vaultLens()).vaultExposure(vault, usdt, 86_400n)).total;
      expect(stdout).to.match(new RegExp(`USDT\\s+all keys\\s+1,000,000\\s+${formatAmount(all24h, 6)}\\s`));
      expect(stdout).to.match(/token\s+operator\s+1h\s+24h/);
      const bad = await taskError("vault:exposure", { vault: f.vault, horizons: "1h,soon" });
      expect(bad.error).to.be.instanceOf(InvalidInputError);
      expect(bad.message).to.include("invalid horizons[1]");
    });
  });

  describe("operator tasks", () => {
    it("vault:withdraw sends an exact decimal amount through the operator client", async () => {
      const f = await loadFixture(deployedFixture);
      const before = await f.usdt.balanceOf(f.a.exchange.address);
      const { stdout } = await runTask("vault:withdraw", { vault: f.vault, token: "usdt", to: f.a.exchange.address, amount: "1000.5", from: f.a.bot1.address });
      expect(stdout).to.match(/^withdrawn: 1000\.5 USDT \(tx 0x[0-9a-f]{64}\)/);
      expect((await f.usdt.balanceOf(f.a.exchange.address)) - before).to.equal(1_000_500_000n);
      const eth = await runTask("vault:withdraw", { vault: f.vault, token: "ETH", to: f.a.exchange.address, amount: "1.25", from: "4", json: true });
      expect(JSON.parse(eth.stdout).outcome).to.include({ status: "withdrawn", amount: (125n * 10n ** 16n).toString() });
    });

    it("vault:withdraw holds back what would trip or must be queued, and says why; --force sends it", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      const start = await ethers.provider.getBlockNumber();
      const large = await taskError("vault:withdraw", { vault: f.vault, token: "USDT", to: f.a.exchange.address, amount: "300000", from: f.a.bot1.address });
      expect(large.exitCode).to.equal(EXIT.refused);
      expect(large.message).to.include("300000 USDT is above the instant limit (250,000 USDT); pass --queue-if-large");
      const stranger = await taskError("vault:withdraw", { vault: f.vault, token: "USDT", to: f.a.attacker.address, amount: "10", from: f.a.bot1.address });
      expect(stranger.error).to.be.instanceOf(DestinationNotApprovedError);
      expect(stranger.exitCode).to.equal(EXIT.refused);
      expect(stranger.message).to.match(/^would trip the tripwire and suspend this key: DestinationNotApproved\(operator=0x[0-9a-fA-F]{40}, destination=0x[0-9a-fA-F]{40}\).* \(--force sends it anyway\)$/);
      expect(await ethers.provider.getBlockNumber()).to.equal(start);
      expect(await views.isSuspended(vault, f.a.bot1.address)).to.equal(false);

      const queued = await runTask("vault:withdraw", { vault: f.vault, token: "USDT", to: f.a.exchange.address, amount: "300000", from: f.a.bot1.address, queueIfLarge: true });
      expect(queued.stdout).to.match(/^queued #1: 300000 USDT, executable from /);
      const forced = await runTask<{ exitCode?: number }>("vault:withdraw", { vault: f.vault, token: "USDT", to: f.a.attacker.address, amount: "10", from: f.a.bot1.address, force: true });
      expect(forced.stdout).to.include("TRIPWIRE FIRED (DestinationNotApproved): nothing moved and this operator is suspended");
      expect(forced.result.exitCode).to.equal(EXIT.tripped);
      expect(await views.isSuspended(vault, f.a.bot1.address)).to.equal(true);
      expect(await f.usdt.balanceOf(f.a.attacker.address)).to.equal(0n);
    });

    it("vault:withdraw and vault:queue validate their input before any network call", async () => {
      const f = await loadFixture(deployedFixture);
      const base = { vault: f.vault, token: "USDT", to: f.a.exchange.address, from: f.a.bot1.address };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...base, amount: "1.1234567" }, "invalid amount: \"1.1234567\" has more decimal places than the token's 6"],
        [{ ...base, amount: "0" }, "invalid amount: must be greater than zero"],
        [{ ...base, token: "DAI", amount: "1" }, "invalid token: DAI is not listed by the vault; listed: USDT, USDC, ETH"],
        [{ ...base, to: "0x1234", amount: "1" }, "invalid to: expected a 20-byte hex address"],
        [{ ...base, from: "0x0000000000000000000000000000000000000001", amount: "1" }, "invalid from: 0x0000000000000000000000000000000000000001 is not one of the"],
      ];
      for (const [args, message] of cases) {
        for (const name of ["vault:withdraw", "vault:queue"]) {
          const r = await taskError(name, args);
          expect(r.error, `${name} ${message}`).to.be.instanceOf(InvalidInputError);
          expect(r.message).to.include(message);
        }
      }
    });

    it("vault:queue queues any size, vault:execute refuses it early and sends it after the delay", async () => {
      const f = await loadFixture(deployedFixture);
      const { stdout } = await runTask("vault:queue", { vault: f.vault, token: "USDT", to: f.a.exchange.address, amount: "2000000", from: f.a.bot1.address });
      expect(stdout).to.match(/^queued #1: 2000000 USDT, executable from/);
      const status = await runTask("vault:status", { vault: f.vault });
      expect(status.stdout).to.include("Pending queue (1)");
      expect(status.stdout).to.match(/1\s+0x[0-9a-fA-F]{40}\s+2,000,000 USDT\s+0x[0-9a-fA-F]{40}\s+\S+\s+waiting/);
      const early = await taskError("vault:execute", { vault: f.vault, withdrawal: "1", from: f.a.bot1.address });
      expect(early.error).to.be.instanceOf(WithdrawalNotReadyError);
      await time.increase(24 * 3600);
      const before = await f.usdt.balanceOf(f.a.exchange.address);
      const done = await runTask("vault:execute", { vault: f.vault, withdrawal: "1", from: f.a.bot1.address });
      expect(done.stdout).to.include(`executed withdrawal #1: 2,000,000 USDT sent to ${f.a.exchange.address}`);
      expect((await f.usdt.balanceOf(f.a.exchange.address)) - before).to.equal(usd(2_000_000n));
      const neither = await taskError("vault:execute", { vault: f.vault });
      expect(neither.error).to.be.instanceOf(InvalidInputError);
      expect(neither.message).to.include("give exactly one of --withdrawal <id> and --change <id>");
    });
  });

  describe("guardian and admin tasks", () => {
    it("vault:pause pauses at once from a guardian, prints the Safe transaction with --unsigned, and refuses others", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      const unsigned = await runTask("vault:pause", { vault: f.vault, unsigned: true, json: true });
      expect(JSON.parse(unsigned.stdout).unsigned).to.deep.equal({ ...new GuardianTransactions(f.vault).pause(), value: "0" });
      expect(JSON.parse(unsigned.stdout).checkedFrom).to.equal(null);
      // --safe: checked from the account that will send it first; one the vault would refuse exits 3.
      const checked = await runTask("vault:pause", { vault: f.vault, unsigned: true, safe: f.a.guardian.address, json: true });
      expect(JSON.parse(checked.stdout).checkedFrom).to.equal(f.a.guardian.address);
      const notGuardian = await taskError("vault:pause", { vault: f.vault, unsigned: true, safe: f.a.stranger.address });
      expect(notGuardian.exitCode).to.equal(EXIT.refused);
      expect(notGuardian.error).to.be.instanceOf(NotAdminOrGuardianError);
      expect(await vault.paused()).to.equal(false);
      const refused = await taskError("vault:pause", { vault: f.vault, from: f.a.stranger.address });
      expect(refused.error).to.be.instanceOf(NotAdminOrGuardianError);
      const { stdout } = await runTask("vault:pause", { vault: f.vault, from: f.a.guardian.address });
      expect(stdout).to.include(`pause: done by ${f.a.guardian.address}`);
      expect(await vault.paused()).to.equal(true);
      expect((await runTask("vault:status", { vault: f.vault })).stdout).to.include("state:      PAUSED");
    });

    it("vault:suspend suspends an operator at once", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      await runTask("vault:suspend", { vault: f.vault, operator: f.a.bot2.address, from: f.a.guardian2.address });
      expect(await views.isSuspended(vault, f.a.bot2.address)).to.equal(true);
      expect((await runTask("vault:status", { vault: f.vault })).stdout).to.include(`suspended operators: ${f.a.bot2.address}`);
      const bad = await taskError("vault:suspend", { vault: f.vault, operator: "bot2", from: f.a.guardian2.address });
      expect(bad.error).to.be.instanceOf(InvalidInputError);
      expect(bad.message).to.include("invalid operator");
    });

    it("vault:remove-operator removes an operator at once: its slot, limits and queued withdrawals end", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      await runTask("vault:queue", { vault: f.vault, token: "USDC", to: f.a.exchange.address, amount: "1000", from: f.a.bot2.address });
      const unsigned = await runTask("vault:remove-operator", { vault: f.vault, operator: f.a.bot2.address, unsigned: true, json: true });
      expect(unsigned.stdout).to.include(vault.interface.encodeFunctionData("removeOperator", [f.a.bot2.address]));
      expect(await views.operators(vault)).to.include(f.a.bot2.address); // --unsigned sends nothing
      const done = await runTask("vault:remove-operator", { vault: f.vault, operator: f.a.bot2.address, from: f.a.guardian.address });
      expect(done.stdout).to.include(`remove operator ${f.a.bot2.address}: done by ${f.a.guardian.address}`);
      expect(await views.operators(vault)).to.not.include(f.a.bot2.address);
      expect((await views.getWithdrawal(vault, 1n)).status).to.equal(3n); // its queued withdrawal reads as cancelled
      // A key that is no longer an operator: the vault would refuse, nothing is sent (exit code 3 on the command line).
      const again = await taskError("vault:remove-operator", { vault: f.vault, operator: f.a.bot2.address, from: f.a.guardian.address });
      expect(again.message).to.match(/would revert: NotOperator/);
      const stranger = await taskError("vault:remove-operator", { vault: f.vault, operator: f.a.bot1.address, from: f.a.stranger.address });
      expect(stranger.message).to.match(/would revert: NotAdminOrGuardian/);
      expect(await views.operators(vault)).to.include(f.a.bot1.address);
    });

    it("vault:cancel cancels a queued withdrawal and a proposed change", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      await runTask("vault:queue", { vault: f.vault, token: "ETH", to: f.a.exchange.address, amount: "500", from: f.a.bot1.address });
      await runTask("vault:propose", { vault: f.vault, kind: "SetRecovery", params: JSON.stringify({ recovery: f.a.stranger.address }), from: f.a.admin.address });
      const w = await runTask("vault:cancel", { vault: f.vault, withdrawal: "1", from: f.a.guardian.address });
      expect(w.stdout).to.include("cancel queued withdrawal #1: done");
      expect((await views.getWithdrawal(vault, 1n)).status).to.equal(3n);
      const c = await runTask("vault:cancel", { vault: f.vault, change: "1", from: f.a.guardian2.address });
      expect(c.stdout).to.include("cancel proposed change #1: done");
      expect((await views.getChange(vault, 1n)).status).to.equal(3n);
      const bad = await taskError("vault:cancel", { vault: f.vault, withdrawal: "one" });
      expect(bad.message).to.include('invalid withdrawal: expected a non-negative integer, got "one"');
    });

    it("vault:propose takes a change in human terms; vault:execute --change applies it after the delay", async () => {
      const f = await loadFixture(deployedFixture);
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      const usdt = await f.usdt.getAddress();
      const params = JSON.stringify({ operator: f.a.bot1.address, token: "USDT", cap: "1200000.5", instantLimit: "250000", queueCap: "5000000" });
      const unsigned = await runTask("vault:propose", { vault: f.vault, kind: "SetOperatorLimits", params, unsigned: true, json: true });
      const expected = new AdminTransactions(f.vault).propose.setOperatorLimits({ operator: f.a.bot1.address, token: usdt, cap: 1_200_000_500_000n, instantLimit: usd(250_000n), queueCap: usd(5_000_000n) });
      expect(JSON.parse(unsigned.stdout).unsigned.data).to.equal(expected.data);
      const { stdout } = await runTask("vault:propose", { vault: f.vault, kind: "SetOperatorLimits", params, from: f.a.admin.address });
      expect(stdout).to.match(/^proposed change #1: SetOperatorLimits, executable from \S+; guardians can cancel it until then/);
      const early = await taskError("vault:execute", { vault: f.vault, change: "1", from: f.a.admin.address });
      expect(early.message).to.include("ChangeNotReady");
      await time.increase(24 * 3600);
      const done = await runTask("vault:execute", { vault: f.vault, change: "1", from: f.a.admin.address });
      expect(done.stdout).to.include("executed change #1: SetOperatorLimits");
      expect((await (await vaultLens()).operatorState(vault, f.a.bot1.address, usdt)).cap).to.equal(1_200_000_500_000n);
      await runTask("vault:propose", { vault: f.vault, kind: "SetDelays", params: JSON.stringify({ changeDelay: "48h", withdrawalDelay: 7200 }), from: f.a.admin.address });
      expect((await views.getChange(vault, 2n)).params).to.equal(ethers.AbiCoder.defaultAbiCoder().encode(["uint32", "uint32"], [172_800, 7_200]));
    });

    it("vault:propose rejects unknown kinds and parameters, naming them", async () => {
      const f = await loadFixture(deployedFixture);
      const cases: [Record<string, unknown>, string][] = [
        [{ kind: "Drain" }, 'invalid kind: "Drain" is not a change kind'],
        [{ kind: "SetVaultCap", params: "{nope" }, "invalid params: not valid JSON"],
        [{ kind: "SetVaultCap", params: '{"token":"USDT"}' }, "invalid params.vaultCap: is required for SetVaultCap"],
        [{ kind: "SetVaultCap", params: '{"token":"USDT","vaultCap":"1","extra":1}' }, "invalid params.extra: SetVaultCap takes token, vaultCap"],
        [{ kind: "SetVaultCap", params: '{"token":"USDT","vaultCap":1}' }, "invalid params.vaultCap: expected a decimal string"],
        [{ kind: "SetTripwire", params: '{"maxCount":300,"period":"60s"}' }, "invalid params.maxCount"],
      ];
      for (const [args, message] of cases) {
        const r = await taskError("vault:propose", { vault: f.vault, from: f.a.admin.address, ...args });
        expect(r.error, message).to.be.instanceOf(InvalidInputError);
        expect(r.message).to.include(message);
      }
    });
  });

  describe("vault:watch", () => {
    it("streams events for --blocks blocks and flags the tripwire and a large queued withdrawal", async () => {
      const f = await loadFixture(deployedFixture);
      const next = (await ethers.provider.getBlockNumber()) + 1;
      const watching = runTask<{ events: { name: string; anomalies: { kind: string }[] }[]; nextBlock: number }>("vault:watch", {
        vault: f.vault,
        fromBlock: String(next),
        blocks: "3",
        pollInterval: "20",
        threshold: "USDT=1000000",
      });
      const vault = await ethers.getContractAt("GuardedVault", f.vault);
      const usdt = await f.usdt.getAddress();
      await vault.connect(f.a.bot1).withdrawInstant(usdt, f.a.exchange.address, usd(1_000n));
      await vault.connect(f.a.bot1).queueWithdrawal(usdt, f.a.exchange.address, usd(2_000_000n));
      await vault.connect(f.a.bot1).withdrawInstant(usdt, f.a.attacker.address, usd(1n));
      await vault.connect(f.a.bot2).queueWithdrawal(await f.usdc.getAddress(), f.a.exchange.address, usd(1n)); // a 4th block: past the bound
      const { result, stdout, stderr } = await watching;
      expect(result.events.map((e) => e.name)).to.deep.equal(["Withdrawn", "WithdrawalQueued", "OperatorSuspended", "TripwireFired"]);
      expect(stdout).to.match(/block \d+ {2}Withdrawn {2}operator=0x[0-9a-fA-F]{40} token=USDT to=0x[0-9a-fA-F]{40} amount=1,000/);
      expect(stdout).to.include("!! anomaly: large queued withdrawal #1: 2,000,000 USDT to");
      expect(stdout).to.include(`!! anomaly: tripwire fired on operator ${f.a.bot1.address} (DestinationNotApproved)`);
      expect(stderr).to.include(`watching vault ${f.vault} from block`);
      expect(stderr).to.include(`stopped after block ${next + 2}: 4 event(s), 2 anomalies; resume with --from-block ${next + 3}`);
      expect(result.nextBlock).to.equal(next + 3);
    });

    it("replays history as JSON lines from the deployment, and stops at --timeout", async () => {
      const f = await loadFixture(deployedFixture);
      const started = Date.now();
      const { stdout, result } = await runTask<{ events: unknown[] }>("vault:watch", { vault: f.vault, fromBlock: "deployment", timeout: "1", pollInterval: "50", json: true });
      expect(Date.now() - started).to.be.within(900, 5000);
      const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(lines.length).to.equal(result.events.length);
      expect(lines.filter((l) => l.name === "OperatorLimitsSet")).to.have.length(3);
      expect(lines.find((l) => l.name === "TokenListed" && l.args.token === NATIVE).args.vaultCap).to.equal((300n * 10n ** 18n).toString());
      const bad = await taskError("vault:watch", { vault: f.vault, threshold: "USDT:5" });
      expect(bad.message).to.include('invalid threshold[0]: expected TOKEN=AMOUNT, got "USDT:5"');
    });
  });
});
