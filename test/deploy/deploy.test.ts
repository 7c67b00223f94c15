import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import path from "path";
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AdminClient } from "../../sdk/clients";
import {
  DETERMINISTIC_DEPLOYER,
  DETERMINISTIC_DEPLOYER_CODE,
  DeploymentError,
  DeterministicDeployerMissingError,
  ImmutableSettingError,
  InvalidConfigError,
  MissingRoleError,
  TokenCheckError,
  configHash,
  applyVaultDiff,
  deploymentSalt,
  diffIsEmpty,
  diffVaultConfig,
  ensureDeterministicDeployer,
  factoryAddress,
  parseDeploymentRecord,
  parseVaultConfig,
  predictVaultAddress,
  syncVault,
} from "../../sdk/deploy";
import { InvalidInputError } from "../../sdk/errors";
import { NATIVE } from "../../sdk/rules";
import type { DeployOutcome } from "../../tasks/deploy";
import { rpcNetworkFromEnv } from "../../tasks/network";
import { main as deployScript } from "../../scripts/deploy";
import { capture, deployedFixture, runTask, taskError, tempDir, writeJson } from "./helpers";
import { vaultLens } from "../helpers/fixture";
import { views } from "../helpers/views";

const usd = (n: bigint) => n * 10n ** 6n;

describe("deploy: vault:deploy", () => {
  it("deploys through the factory at the CREATE2 address, the factory through the canonical proxy, and records it", async () => {
    const f = await loadFixture(deployedFixture);
    const config = parseVaultConfig(f.raw);
    expect(f.outcome.status).to.equal("deployed");
    expect(f.vault).to.equal(predictVaultAddress(config));
    // The proxy was installed on the in-process network, and the factory sits where the proxy put it.
    expect((await ethers.provider.getCode(DETERMINISTIC_DEPLOYER)).toLowerCase()).to.equal(DETERMINISTIC_DEPLOYER_CODE);
    const factory = await ethers.getContractAt("VaultFactory", factoryAddress());
    expect(factoryAddress()).to.equal(ethers.getCreate2Address(DETERMINISTIC_DEPLOYER, ethers.id("guarded-treasury-vault/VaultFactory/v1"), ethers.keccak256((await ethers.getContractFactory("VaultFactory")).bytecode)));
    const [event] = await factory.queryFilter(factory.filters.VaultDeployed());
    expect(event.args.vault).to.equal(f.vault);
    expect(event.args.salt).to.equal(deploymentSalt(config));
    expect(event.args.configHash).to.equal(configHash(config));

    const record = parseDeploymentRecord(JSON.parse(readFileSync(f.outcome.recordFile, "utf8")));
    expect(f.outcome.recordFile).to.equal(path.join(f.dir, "hardhat", "test-vault.json"));
    expect(record).to.include({ name: "test-vault", address: f.vault, chainId: 31337, blockNumber: event.blockNumber, transactionHash: event.transactionHash });
    expect(record).to.include({ configHash: configHash(config), salt: deploymentSalt(config), factory: factoryAddress(), deployer: f.a.deployer.address });

    // The policy applies in the deployment itself: read back from the chain.
    const vault = await ethers.getContractAt("GuardedVault", f.vault);
    expect(await vault.admin()).to.equal(f.a.admin.address);
    expect(await vault.hasRole(await vault.GUARDIAN_ROLE(), f.a.guardian2.address)).to.equal(true);
    expect((await (await vaultLens()).operatorState(vault, f.a.bot1.address, await f.usdt.getAddress())).instantLimit).to.equal(usd(250_000n));
    expect((await (await vaultLens()).operatorState(vault, f.a.bot2.address, await f.usdc.getAddress())).cap).to.equal(usd(600_000n));
    expect(await vault.isApproved(f.a.bot2.address, f.a.exchange2.address)).to.equal(true);
    expect((await (await vaultLens()).tokenState(vault, NATIVE)).vaultCap).to.equal(300n * 10n ** 18n);
  });

  it("prints the deployment and the verified policy, with progress on stderr", async () => {
    const f = await loadFixture(deployedFixture);
    const dir = tempDir();
    const raw = { ...f.raw, name: "second", salt: "x" };
    const { stdout, stderr } = await runTask("vault:deploy", { configFile: writeJson(dir, "c.json", raw), deployments: dir });
    expect(stdout).to.match(/^Deployed vault "second" at 0x[0-9a-fA-F]{40} on hardhat \(chain 31337\)/);
    expect(stdout).to.include('keccak256(abi.encode("second", "x"))');
    expect(stdout).to.include("Read back and verified against");
    expect(stdout).to.match(/bot1\s+USDT\s+1,000,000\s+250,000\s+5,000,000/);
    // The factory exists already: the second vault reuses it.
    expect(stdout).to.not.include("deployed now");
    expect(stderr).to.include("… deploying vault \"second\"");
  });

  it("re-running with the same config sends nothing and says so", async () => {
    const f = await loadFixture(deployedFixture);
    const before = await ethers.provider.getBlockNumber();
    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: f.configFile, deployments: f.dir, propose: true });
    expect(result.status).to.equal("unchanged");
    expect(result.vault).to.equal(f.vault);
    expect(stdout).to.include(`Vault "test-vault" at ${f.vault} already matches`);
    expect(stdout).to.include("nothing to do, no transaction sent");
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
  });

  it("finds the vault at its predicted address when the record is gone, and writes the record back", async () => {
    const f = await loadFixture(deployedFixture);
    const dir = tempDir();
    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: f.configFile, deployments: dir, json: true });
    expect(result.status).to.equal("unchanged");
    expect(result.wroteRecord).to.equal(true);
    const record = parseDeploymentRecord(JSON.parse(readFileSync(path.join(dir, "hardhat", "test-vault.json"), "utf8")));
    expect(record.address).to.equal(f.vault);
    expect(record.blockNumber).to.equal(f.outcome.result.record.blockNumber);
    const json = JSON.parse(stdout);
    expect(json).to.include({ status: "unchanged", vault: f.vault, network: "hardhat" });
    expect(json.diff.instant).to.deep.equal([]);
  });

  it("without its record, a changed config is refused rather than deployed as a second vault under the same name", async () => {
    const f = await loadFixture(deployedFixture);
    const changed = structuredClone(f.raw);
    changed.tokens.ETH.vaultCap = "250";
    const dir = tempDir();
    const r = await taskError("vault:deploy", { configFile: writeJson(dir, "changed.json", changed), deployments: dir });
    expect(r.error).to.be.instanceOf(DeploymentError);
    expect(r.message).to.include(`a vault named "test-vault" with salt "" already exists at ${f.vault}`);
    expect(existsSync(path.join(dir, "hardhat", "test-vault.json"))).to.equal(false);
  });

  it("a record naming an address without code is stale on the in-process network and replaced; elsewhere it is an error", async () => {
    const f = await loadFixture(deployedFixture);
    const dir = tempDir();
    const stale = { ...f.outcome.result.record, address: f.a.stranger.address };
    const fresh = { ...f.raw, name: "fresh" };
    const staleRecord = { ...stale, name: "fresh", salt: deploymentSalt(parseVaultConfig(fresh)) };
    const recordFile = path.join(dir, "hardhat", "fresh.json");
    mkdirSync(path.dirname(recordFile), { recursive: true });
    writeFileSync(recordFile, JSON.stringify(staleRecord));
    const { result, stderr } = await runTask<DeployOutcome>("vault:deploy", { configFile: writeJson(dir, "fresh.json", fresh), deployments: dir });
    expect(stderr).to.include(`ignoring the stale record of "fresh" (no code at ${f.a.stranger.address} on this chain)`);
    expect(result.status).to.equal("deployed");
    expect(parseDeploymentRecord(JSON.parse(readFileSync(recordFile, "utf8"))).address).to.equal(result.vault);

    let error: unknown;
    try {
      await syncVault({ signer: f.a.deployer, config: parseVaultConfig(fresh), record: { ...staleRecord } });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DeploymentError);
    expect((error as Error).message).to.include(`names ${f.a.stranger.address}, which holds no code on chain 31337`);
  });

  it("the example config deploys on the in-process network as a dry run, warning that its tokens have no code here", async () => {
    await loadFixture(deployedFixture);
    const dir = tempDir();
    const { result, stderr, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: path.join(__dirname, "..", "..", "config", "example.vault.json"), deployments: dir });
    expect(result.status).to.equal("deployed");
    // Its co-signing policy is deployed and read back too.
    expect(stdout).to.include("2 operator(s) with 5 limit(s) and 3 destination(s), 1 approver(s), 1 co-signed destination(s) and 1 co-signed cap(s).");
    expect(stdout).to.match(/approvers: {2}approver \(0xa990{36}1\)/i);
    expect(stderr).to.include("warning: tokens.USDT: no contract at 0xdAC17F958D2ee523a2206206994597C13D831ec7 (development network hardhat: going ahead as a dry run)");
    expect(existsSync(path.join(dir, "hardhat", "mm-hot-treasury.json"))).to.equal(true);
  });

  it("a changed config lists instant steps and timelocked proposals, sends nothing without --propose", async () => {
    const f = await loadFixture(deployedFixture);
    const changed = structuredClone(f.raw);
    changed.operators[0].caps.USDT = { cap: "800000", instantLimit: "300000", queueCap: "5000000" }; // cap down, instant up
    changed.tokens.USDC.vaultCap = "2000000"; // up
    changed.tokens.ETH.vaultCap = "250"; // down
    changed.operators[1].destinations.pop(); // revoke exchange2
    changed.operators[0].destinations.push({ label: "new desk", address: f.a.stranger.address });
    changed.tripwire = { maxCount: 5, period: "120s" }; // tighter
    changed.withdrawalDelay = "12h"; // shorter
    const newGuardian = (await ethers.getSigners())[11].address;
    changed.guardians = [f.a.guardian.address, newGuardian]; // a vault keeps two at all times
    const file = writeJson(f.dir, "changed.json", changed);
    const before = await ethers.provider.getBlockNumber();
    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir });
    expect(result.status).to.equal("differs");
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
    expect(stdout).to.include("Safety-increasing, instant");
    expect(stdout).to.include("lowerOperatorLimits bot1 USDT: cap 1,000,000 USDT, instant 250,000 USDT, queue 5,000,000 USDT → cap 800,000 USDT, instant 250,000 USDT, queue 5,000,000 USDT");
    expect(stdout).to.include("lowerVaultCap ETH: 300 ETH → 250 ETH");
    expect(stdout).to.include(`revokeDestination bot2 → ${f.a.exchange2.address}`); // no longer named by the config
    expect(stdout).to.include("tightenTripwire: at most 10 per 1m → at most 5 per 2m");
    expect(stdout).to.include("Risk-increasing, timelocked proposals");
    expect(stdout).to.include("SetOperatorLimits(operator=bot1, token=USDT, cap=800,000 USDT, instantLimit=300,000 USDT, queueCap=5,000,000 USDT) (now cap 1,000,000 USDT");
    expect(stdout).to.include("SetVaultCap(token=USDC, vaultCap=2,000,000 USDC) (now 1,000,000 USDC)");
    expect(stdout).to.include(`ApproveDestination(operator=bot1, destination=new desk (${f.a.stranger.address}))`);
    expect(stdout).to.include("SetDelays(changeDelay=24h, withdrawalDelay=12h)");
    expect(stdout).to.include(`AddGuardian(guardian=${newGuardian})`);
    expect(stdout).to.include(`RemoveGuardian(guardian=${f.a.guardian2.address})`);
    expect(stdout).to.include("Nothing was sent. Run again with --propose");
    const exists = result.result.status === "exists" ? result.result : null;
    expect(exists!.diff.instant.map((s) => s.action.method)).to.have.members(["lowerOperatorLimits", "lowerVaultCap", "revokeDestination", "tightenTripwire"]);
    expect(exists!.diff.proposals.map((p) => p.change.kind)).to.have.members(["SetOperatorLimits", "SetVaultCap", "ApproveDestination", "SetDelays", "AddGuardian", "RemoveGuardian"]);
  });

  it("--propose applies the instant steps at once and proposes the rest; a second run proposes nothing new; after the delay it converges", async () => {
    const f = await loadFixture(deployedFixture);
    const changed = structuredClone(f.raw);
    changed.operators[0].caps.USDT = { cap: "800000", instantLimit: "300000", queueCap: "5000000" };
    changed.tokens.USDC.vaultCap = "2000000";
    changed.operators[1].destinations.pop();
    const file = writeJson(f.dir, "changed.json", changed);
    const vault = await ethers.getContractAt("GuardedVault", f.vault);
    const usdt = await f.usdt.getAddress();

    // The deployer is neither admin nor guardian: refused before anything is sent.
    const refused = await taskError("vault:deploy", { configFile: file, deployments: f.dir, propose: true });
    expect(refused.error).to.be.instanceOf(MissingRoleError);
    expect(refused.message).to.include("may not send 4 of the planned steps (nothing was sent)");
    expect((await (await vaultLens()).operatorState(vault, f.a.bot1.address, usdt)).cap).to.equal(usd(1_000_000n));

    const { result, stdout } = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address });
    expect(result.status).to.equal("applied");
    expect(stdout).to.match(/proposed #1: SetVaultCap\(token=USDC, vaultCap=2,000,000 USDC\)/);
    expect(stdout).to.match(/proposed #2: SetOperatorLimits\(operator=bot1, token=USDT, cap=800,000 USDT, instantLimit=300,000 USDT/);
    const state = await (await vaultLens()).operatorState(vault, f.a.bot1.address, usdt);
    expect(state.cap).to.equal(usd(800_000n)); // lowered at once
    expect(state.instantLimit).to.equal(usd(250_000n)); // the raise waits for the proposal
    expect(await vault.isApproved(f.a.bot2.address, f.a.exchange2.address)).to.equal(false);
    expect(await vault.changeCount()).to.equal(2n);

    const again = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address });
    expect(again.result.status).to.equal("unchanged");
    expect(again.stdout).to.include("Already proposed and pending:");
    expect(again.stdout).to.match(/#1 SetVaultCap\(token=USDC, vaultCap=2,000,000 USDC\)/);
    expect(await vault.changeCount()).to.equal(2n);

    await time.increase(24 * 3600);
    const admin = new AdminClient({ vault: f.vault, signer: f.a.admin });
    for (const id of [1n, 2n]) await (await admin.execute(id)).wait();
    const done = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir });
    expect(done.result.status).to.equal("unchanged");
    expect(done.stdout).to.include("already matches");
  });

  it("limits for a token not listed yet wait for its ListToken; an operator left out is removed, a token left out goes to zero", async () => {
    const f = await loadFixture(deployedFixture);
    const dai = await ethers.deployContract("MockERC20", ["Dai", "DAI", 18]);
    const changed = structuredClone(f.raw);
    changed.tokens.DAI = { address: await dai.getAddress(), decimals: 18, unitDecimals: 16, vaultCap: "100000" };
    changed.operators[0].caps.DAI = { cap: "1000", instantLimit: "100", queueCap: "1000" };
    delete changed.tokens.USDC;
    changed.operators.pop(); // bot2 (USDC only)
    const config = parseVaultConfig(changed);
    const policy = await new AdminClient({ vault: f.vault, provider: ethers.provider }).readPolicy({ fromBlock: f.outcome.result.record.blockNumber });
    const diff = diffVaultConfig({ config, policy, vault: f.vault });
    expect(diff.proposals.map((p) => p.summary)).to.deep.equal([`ListToken(token=DAI (${await dai.getAddress()}), unitDecimals=16, vaultCap=100,000 DAI)`]);
    expect(diff.blocked.map((b) => b.reason)).to.deep.equal(["DAI is not listed yet: re-run once ListToken(DAI) is executed"]);
    expect(diff.instant.map((s) => s.summary)).to.have.members([
      `lowerVaultCap ${(await f.usdc.getAddress()).slice(0, 6)}…${(await f.usdc.getAddress()).slice(-4)}: 1000000000000 base units → 0 (not in the config; a listed token cannot be removed)`,
      // One safety-increasing step ends bot2: limits, destinations and queue (not a lowering per token).
      `removeOperator ${f.a.bot2.address.slice(0, 6)}…${f.a.bot2.address.slice(-4)} (not in the config)`,
    ]);
    expect(diff.instant.find((s) => s.action.method === "removeOperator")?.requires).to.equal("adminOrGuardian");
  });

  it("co-signing in a changed config: additions and raises are proposed (a co-signed cap after its operator's limits), removals and lowerings are instant; both ways converge", async () => {
    const f = await loadFixture(deployedFixture);
    const otc = (await ethers.getSigners())[12].address;
    const [usdt, vault, lens] = [await f.usdt.getAddress(), await ethers.getContractAt("GuardedVault", f.vault), await vaultLens()];
    const fromBlock = f.outcome.result.record.blockNumber;
    const reader = new AdminClient({ vault: f.vault, provider: ethers.provider });
    const admin = new AdminClient({ vault: f.vault, signer: f.a.admin });
    const diffFor = async (raw: Record<string, any>) => diffVaultConfig({ config: parseVaultConfig(raw), policy: await reader.readPolicy({ fromBlock }), vault: f.vault });
    const executePending = async () => {
      await time.increase(24 * 3600);
      for (const c of await reader.readChanges({ status: "Pending" })) await (await admin.execute(c.id)).wait();
    };

    const cosigning = structuredClone(f.raw);
    cosigning.approvers = [f.a.stranger.address];
    cosigning.operators[0].caps.USDT.cosignedCap = "400000";
    cosigning.operators[0].cosignedDestinations = [{ label: "OTC desk", address: otc }];
    cosigning.operators[1].caps.USDT = { cap: "100000", instantLimit: "50000", queueCap: "0", cosignedCap: "50000" }; // bot2 has no USDT limits yet
    const file = writeJson(f.dir, "cosigning.json", cosigning);
    const first = await diffFor(cosigning);
    expect(first.instant).to.deep.equal([]);
    expect(first.proposals.map((p) => p.summary)).to.have.members([
      `AddApprover(approver=approver (${f.a.stranger.address}))`,
      "SetCosignedCap(operator=bot1, token=USDT, cosignedCap=400,000 USDT) (now 0 USDT)",
      `ApproveCosignedDestination(operator=bot1, destination=OTC desk (${otc}))`,
      "SetOperatorLimits(operator=bot2, token=USDT, cap=100,000 USDT, instantLimit=50,000 USDT, queueCap=0 USDT) (now cap 0 USDT, instant 0 USDT, queue 0 USDT)",
    ]);
    // The vault takes a co-signed cap only for a token the operator has limits for: it waits for them.
    expect(first.blocked.map((b) => `${b.summary}: ${b.reason}`)).to.deep.equal([
      "SetCosignedCap(operator=bot2, token=USDT, cosignedCap=50,000 USDT): bot2 has no limits for USDT yet: re-run once its SetOperatorLimits is executed",
    ]);

    const proposed = await runTask<DeployOutcome>("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address });
    expect(proposed.result.status).to.equal("applied");
    expect(await vault.changeCount()).to.equal(4n);
    expect(await vault.hasRole(await vault.APPROVER_ROLE(), f.a.stranger.address)).to.equal(false); // timelocked
    await executePending();
    const second = await diffFor(cosigning);
    expect(second.blocked).to.deep.equal([]);
    expect(second.proposals.map((p) => p.summary)).to.deep.equal(["SetCosignedCap(operator=bot2, token=USDT, cosignedCap=50,000 USDT) (now 0 USDT)"]);
    await runTask("vault:deploy", { configFile: file, deployments: f.dir, propose: true, from: f.a.admin.address });
    await executePending();
    expect(diffIsEmpty(await diffFor(cosigning))).to.equal(true);
    expect(await vault.hasRole(await vault.APPROVER_ROLE(), f.a.stranger.address)).to.equal(true);
    expect(await lens.isCosignedDestination(f.vault, f.a.bot1.address, otc)).to.equal(true);
    expect((await lens.operatorState(f.vault, f.a.bot1.address, usdt)).cosignedCap).to.equal(usd(400_000n));
    expect((await lens.operatorState(f.vault, f.a.bot2.address, usdt)).cosignedCap).to.equal(usd(50_000n));
    const status = await runTask("vault:status", { vault: f.vault, deployments: f.dir });
    expect(status.stdout).to.include(`approvers:  approver (${f.a.stranger.address})`);
    expect(status.stdout).to.match(/bot1 +USDT +1,000,000 +250,000 +5,000,000 +0 +1,000,000 +0 +400,000 +0 +400,000 +active/);
    expect(status.stdout).to.include(`bot1 → OTC desk (${otc})`);

    // Moving the desk to the ordinary destinations: revoking clears the co-signed approval, the ordinary one is proposed.
    const moved = structuredClone(cosigning);
    moved.operators[0].cosignedDestinations = [];
    moved.operators[0].destinations.push({ label: "OTC desk", address: otc });
    const move = await diffFor(moved);
    expect(move.instant.map((s) => s.summary)).to.deep.equal([`revokeDestination bot1 → OTC desk (${otc}) (co-signed)`]);
    expect(move.proposals.map((p) => p.summary)).to.deep.equal([`ApproveDestination(operator=bot1, destination=OTC desk (${otc})) (again, after the revocation)`]);
    // An ApproveDestination already pending for it would be outdated by the revocation: it is proposed anew, the old one is stray.
    const policy = await reader.readPolicy({ fromBlock });
    const pending = { id: 99n, kind: "ApproveDestination" as const, status: "Pending" as const, eta: 1n, expiresAt: 2n, change: { kind: "ApproveDestination" as const, operator: f.a.bot1.address, destination: otc } };
    const withPending = diffVaultConfig({ config: parseVaultConfig(moved), policy: { ...policy, pendingChanges: [pending] }, vault: f.vault });
    expect(withPending.proposals.map((p) => p.pending)).to.deep.equal([null]);
    expect(withPending.stray.map((c) => c.id)).to.deep.equal([99n]);

    // Back to the config without co-signing: everything goes at once, and a guardian may send it.
    const back = await diffFor(f.raw);
    expect(back.proposals).to.deep.equal([]);
    expect(back.instant.map((s) => s.summary)).to.have.members([
      `removeApprover ${f.a.stranger.address} (not in the config)`,
      `revokeDestination bot1 → ${otc} (co-signed)`,
      "lowerCosignedCap bot1 USDT: 400,000 USDT → 0 USDT",
      "lowerCosignedCap bot2 USDT: 50,000 USDT → 0 USDT",
      "lowerOperatorLimits bot2 USDT: cap 100,000 USDT, instant 50,000 USDT, queue 0 USDT → cap 0 USDT, instant 0 USDT, queue 0 USDT",
    ]);
    expect(back.instant.every((s) => s.requires === "adminOrGuardian")).to.equal(true);
    await applyVaultDiff({ diff: back, policy: await reader.readPolicy({ fromBlock }), signer: f.a.guardian });
    expect(diffIsEmpty(await diffFor(f.raw))).to.equal(true);
    expect(await vault.hasRole(await vault.APPROVER_ROLE(), f.a.stranger.address)).to.equal(false);
    expect(await lens.isCosignedDestination(f.vault, f.a.bot1.address, otc)).to.equal(false);
    expect((await lens.operatorState(f.vault, f.a.bot1.address, usdt)).cosignedCap).to.equal(0n);
  });

  it("rejects invalid configs before touching the chain, naming the field", async () => {
    const f = await loadFixture(deployedFixture);
    const before = await ethers.provider.getBlockNumber();
    const bad = structuredClone(f.raw);
    bad.operators[1].caps.USDC.instantLimit = "700000";
    const r = await taskError("vault:deploy", { configFile: writeJson(f.dir, "bad.json", bad), deployments: f.dir });
    expect(r.error).to.be.instanceOf(InvalidConfigError);
    expect(r.message).to.include("operators[1].caps.USDC.instantLimit: must be <= cap (700000 > 600000 USDC)");
    const missing = await taskError("vault:deploy", { configFile: path.join(f.dir, "nope.json"), deployments: f.dir });
    expect(missing.error).to.be.instanceOf(InvalidInputError);
    expect(missing.message).to.include("no such file");

    const decimals = structuredClone(f.raw);
    decimals.name = "other";
    decimals.tokens.USDC.decimals = 18;
    decimals.tokens.USDC.unitDecimals = 16;
    const d = await taskError("vault:deploy", { configFile: writeJson(f.dir, "decimals.json", decimals), deployments: f.dir });
    expect(d.error).to.be.instanceOf(TokenCheckError);
    expect(d.message).to.include("tokens.USDC: ");
    expect(d.message).to.include("has 6 decimals; the config says 18");

    const window = structuredClone(f.raw);
    window.window = "12h";
    const w = await taskError("vault:deploy", { configFile: writeJson(f.dir, "window.json", window), deployments: f.dir });
    expect(w.error).to.be.instanceOf(ImmutableSettingError);
    expect(w.message).to.include("window: 86400 s on-chain, 43200 s in the config");
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
  });

  it("outside development networks a missing proxy is an error, and the proxy is never written", async () => {
    await loadFixture(deployedFixture);
    await network.provider.send("hardhat_setCode", [DETERMINISTIC_DEPLOYER, "0x"]);
    let error: unknown;
    try {
      await ensureDeterministicDeployer({ provider: ethers.provider });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DeterministicDeployerMissingError);
    expect((error as Error).message).to.include("is not deployed on chain 31337");
    expect(await ethers.provider.getCode(DETERMINISTIC_DEPLOYER)).to.equal("0x");
    const installed = await ensureDeterministicDeployer({ provider: ethers.provider, install: async (a, c) => void (await network.provider.send("hardhat_setCode", [a, c])) });
    expect(installed).to.deep.equal({ installed: true });
  });

  it("scripts/deploy.ts runs the same deployment from VAULT_CONFIG", async () => {
    const f = await loadFixture(deployedFixture);
    const { result, stdout } = await capture(() => deployScript({ VAULT_CONFIG: f.configFile, VAULT_DEPLOYMENTS: f.dir }));
    expect(stdout).to.include("already matches");
    expect(result.status).to.equal("unchanged");
    let error: unknown;
    try {
      await deployScript({});
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(InvalidInputError);
    expect((error as Error).message).to.include("VAULT_CONFIG");
  });

  it("the RPC network comes from VAULT_RPC_URL and VAULT_DEPLOYER_KEY, and a bad key is never printed", () => {
    expect(rpcNetworkFromEnv({})).to.deep.equal({});
    const key = "0x" + "ab".repeat(32);
    expect(rpcNetworkFromEnv({ VAULT_RPC_URL: "https://rpc.example", VAULT_DEPLOYER_KEY: key })).to.deep.equal({ vault: { url: "https://rpc.example", accounts: [key] } });
    expect(rpcNetworkFromEnv({ VAULT_RPC_URL: "http://localhost:8545", VAULT_NETWORK: "sepolia" })).to.deep.equal({ sepolia: { url: "http://localhost:8545", accounts: [] } });
    const secret = "cd".repeat(31);
    expect(() => rpcNetworkFromEnv({ VAULT_RPC_URL: "https://rpc.example", VAULT_DEPLOYER_KEY: secret }))
      .to.throw("VAULT_DEPLOYER_KEY is set but is not a 32-byte hex private key (its value is not shown)")
      .with.property("message")
      .that.does.not.include(secret);
    expect(() => rpcNetworkFromEnv({ VAULT_RPC_URL: "https://rpc.example", VAULT_NETWORK: "hardhat" })).to.throw(/VAULT_NETWORK/);
  });

  it("records of the in-process network are not committed", () => {
    const ignored = readFileSync(path.join(__dirname, "..", "..", ".gitignore"), "utf8").split("\n");
    expect(ignored).to.include("deployments/hardhat/");
    expect(existsSync(path.join(__dirname, "..", "..", "deployments", "hardhat", "test-vault.json"))).to.equal(false);
  });
});
