/**
 * The command line as a user meets it: the README's quickstart (scripts/quickstart.sh, which the README
 * shows line for line) against a fresh local node, then the refusals, trips, preflight failures and bad
 * inputs, each checked for its exit code and for one line without a stack trace, with CI set and unset
 * (Hardhat takes a Linux machine without a display for CI either way; CI=true is the explicit case).
 */
import { expect } from "chai";
import { readFileSync } from "fs";
import path from "path";
import { EXIT } from "../../tasks/cli";
import { LocalNode, ROOT, childEnv, lines, run, type Run } from "./helpers";

const BOT1 = "4";
const BOT2 = "5";
const EXCHANGE_A = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
/** Exchange B's deposit address: approved for bot2 only. */
const NOT_APPROVED = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
/** Account #8: approved for nobody, an operator of nothing. */
const ATTACKER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";
const STRANGER = "9";
const GUARDIAN = "1";
const VAULT = ["--vault", "local-treasury"];

/** The steps of scripts/quickstart.sh: its command lines after the steps marker. */
function scriptSteps(): string[] {
  const script = readFileSync(path.join(ROOT, "scripts/quickstart.sh"), "utf8").split("\n");
  const start = script.findIndex((l) => l.startsWith("# --- steps"));
  expect(start, "the steps marker in scripts/quickstart.sh").to.be.greaterThan(0);
  return script.slice(start + 1).filter((l) => l.trim() && !l.startsWith("#"));
}

/** One clear line on stderr: no stack frames, no Hardhat error banner, the message once. */
function expectOneLine(r: Run, what: string): string {
  const err = lines(r.stderr);
  expect(err, `${what}: stderr\n${r.stderr}`).to.have.length(1);
  expect(r.stderr, what).to.not.match(/^\s+at /m);
  expect(r.stderr, what).to.not.include("HardhatPluginError");
  expect(r.stderr, what).to.not.include("--show-stack-traces");
  return err[0];
}

describe("command line: the README quickstart, refusals and exit codes, as a user runs them", function () {
  // Each `npx hardhat` start takes a few seconds; on a machine shared with other builds, many more.
  this.timeout(900_000);
  let node: LocalNode;

  before(async () => {
    node = await LocalNode.start();
  });
  after(() => node?.stop());

  it("the README shows scripts/quickstart.sh line for line, and the script runs end to end on a fresh node", async () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Quickstart"));
    let at = 0;
    for (const step of scriptSteps()) {
      const found = section.indexOf(step, at);
      expect(found, `README quickstart shows, in order: ${step}`).to.be.greaterThan(-1);
      at = found + step.length;
    }

    const r = await run("bash", ["scripts/quickstart.sh"], node.env(), 800_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/USDT\s+0x73511669fd4dE447feD18BB79bAFeAC93aB7F31f\s+deployed now/);
    expect(r.stdout).to.match(/Deployed vault "local-treasury" at 0x[0-9a-fA-F]{40} on localhost/);
    expect(r.stdout).to.include("deposited 5000000 USDT into local-treasury");
    expect(r.stdout).to.include("deposited 1000 ETH into local-treasury");
    // The quickstart's config keeps every key under a quarter of each balance over 24 h.
    expect(r.stdout).to.include("Risk lint: what one key can move within 24 h (nothing flagged)");
    // Status: the config's labels and the token symbols.
    expect(r.stdout).to.match(/\nbot1\s+USDT\s+100,000\s+25,000\s+500,000/);
    expect(r.stdout).to.include("guardians:  guardian 1 (0x70997970C51812dc3A010C7d01b50e0d17dc79C8), guardian 2 (0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC)");
    expect(r.stdout).to.match(/withdrawn: 20000 USDT \(tx 0x[0-9a-f]{64}\)/);
    // The held-back payment: one line on stderr, exit code 3, and the script goes on.
    expect(r.stdout).to.include(`exit code ${EXIT.refused}`);
    expect(r.stderr).to.match(/vault:withdraw: refused, nothing sent: would trip the tripwire and suspend this key: DestinationNotApproved\(/);
    expect(r.stdout).to.match(/queued #1: 300000 USDT, executable from /);
    expect(r.stdout).to.match(/advanced 24h: block \d+ at /);
    expect(r.stdout).to.include(`executed withdrawal #1: 300,000 USDT sent to exchange A deposit (${EXCHANGE_A})`);
    // The watch replays the history with labels, and ends on the idle chain.
    expect(r.stdout).to.match(/Withdrawn\s+operator=bot1 \(0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65\) token=USDT to=exchange A deposit \(0x976EA74026E726554dB657fA54763abd0C3a0aa9\) amount=20,000/);
    expect(r.stdout).to.match(/WithdrawalExecuted\s+id=1 operator=bot1 /);
    expect(r.stderr).to.include("the chain is idle");
  });

  it("refusals and preflight failures: one line, exit code 3, nothing sent, with CI set or not", async () => {
    const cases: { args: string[]; ci: boolean; message: RegExp }[] = [
      { args: ["vault:withdraw", ...VAULT, "--from", BOT1, "--token", "USDT", "--amount", "10", "--to", NOT_APPROVED], ci: true, message: /^vault:withdraw: refused, nothing sent: would trip the tripwire and suspend this key: DestinationNotApproved\(operator=0x15d3/ },
      { args: ["vault:suspend", ...VAULT, "--from", GUARDIAN, "--operator", ATTACKER], ci: false, message: new RegExp(`^vault:suspend: refused, nothing sent: would revert: NotOperator: ${ATTACKER} is not an operator of this vault`) },
      { args: ["vault:propose", ...VAULT, "--from", GUARDIAN, "--kind", "SetVaultCap", "--params", '{"token":"USDT","vaultCap":"1"}'], ci: true, message: /^vault:propose: refused, nothing sent: would revert: AccessControlUnauthorizedAccount: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 is not the admin of this vault/ },
      { args: ["vault:execute", ...VAULT, "--from", BOT1, "--withdrawal", "1"], ci: false, message: /^vault:execute: refused, nothing sent: would revert: WithdrawalNotPending\(id=1/ },
    ];
    const before = await node.blockNumber();
    // A few at a time: none of them sends anything, so they cannot disturb each other.
    const pause = node.hardhat(["vault:pause", ...VAULT, "--from", STRANGER, "--json"], { ci: true });
    for (let i = 0; i < cases.length; i += 2) {
      const runs = await Promise.all(cases.slice(i, i + 2).map((c) => node.hardhat(c.args, { ci: c.ci })));
      runs.forEach((r, j) => {
        const c = cases[i + j];
        expect(r.code, `${c.args[0]}: ${r.stderr}`).to.equal(EXIT.refused);
        expect(expectOneLine(r, c.args[0])).to.match(c.message);
      });
    }

    // --json: the error as JSON on stdout, with the decoded vault error.
    const r = await pause;
    expect(r.code).to.equal(EXIT.refused);
    expectOneLine(r, "vault:pause --json");
    const { error } = JSON.parse(r.stdout) as { error: Record<string, unknown> };
    expect(error).to.deep.include({ outcome: "refused", exitCode: EXIT.refused, type: "NotAdminOrGuardianError" });
    expect(error.vaultError).to.deep.equal({ name: "NotAdminOrGuardian", args: { account: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720" }, source: "preflight" });
    expect(await node.blockNumber(), "nothing was sent").to.equal(before);
  });

  it("bad input exits 2 with one line; a forced withdrawal that trips exits 4", async () => {
    const wrongChecksum = EXCHANGE_A.replace("976EA", "976Ea");
    const bad: { args: string[]; ci: boolean; message: RegExp }[] = [
      { args: ["vault:withdraw", ...VAULT, "--from", BOT1, "--token", "USDT", "--amount", "1", "--to", wrongChecksum], ci: true, message: /^vault:withdraw: invalid to: 0x976Ea\S+ has a wrong EIP-55 checksum/ },
      { args: ["vault:status"], ci: false, message: /^vault:status: invalid vault: missing: pass --vault/ },
      { args: ["vault:withdraw", ...VAULT, "--from", BOT1, "--token", "USDT", "--amount", "1.1234567", "--to", EXCHANGE_A], ci: false, message: /has more decimal places than the token's 6/ },
    ];
    // A network that is not defined: Hardhat's HH100, with what to set instead.
    const missingNetwork = run("npx", ["hardhat", "vault:status", "--vault", "local-treasury", "--network", "vault"], childEnv({ CI: "true" }));
    const runs = await Promise.all(bad.map((c) => node.hardhat(c.args, { ci: c.ci })));
    runs.forEach((r, i) => {
      const c = bad[i];
      expect(r.code, `${c.args.join(" ")}: ${r.stderr}`).to.equal(EXIT.invalidInput);
      expect(expectOneLine(r, c.args[0])).to.match(c.message);
    });
    const missing = await missingNetwork;
    expect(missing.code).to.equal(EXIT.invalidInput);
    expect(expectOneLine(missing, "--network vault")).to.match(/network "vault" is not defined: set VAULT_RPC_URL to its JSON-RPC endpoint/);

    const before = await node.blockNumber();
    const tripped = await node.hardhat(["vault:withdraw", ...VAULT, "--from", BOT2, "--token", "USDC", "--amount", "10", "--to", ATTACKER, "--force"], { ci: true });
    expect(tripped.code, tripped.stderr).to.equal(EXIT.tripped);
    expect(tripped.stdout).to.match(/^TRIPWIRE FIRED \(DestinationNotApproved\): nothing moved and this operator is suspended/);
    expect(await node.blockNumber()).to.equal(before + 1);
  });
});
