import { expect } from "chai";
import { readFileSync } from "fs";
import path from "path";
import {
  InvalidConfigError,
  configHash,
  deploymentSalt,
  encodeInitConfig,
  formatDuration,
  initialPolicySteps,
  parseAmount,
  parseDuration,
  parseVaultConfig,
  toInitConfig,
} from "../../sdk/deploy";
import { InvalidInputError } from "../../sdk/errors";
import { NATIVE } from "../../sdk/rules";
import { getAddress } from "ethers";
import { SCHEMA_PATH, schemaText } from "../../scripts/gen-config-schema";

const EXAMPLE_PATH = path.join(__dirname, "..", "..", "config", "example.vault.json");
const example = (): Record<string, any> => JSON.parse(readFileSync(EXAMPLE_PATH, "utf8"));

/** The issues `parseVaultConfig` reports for `raw`, as "path: message" lines. */
function issuesOf(raw: unknown): string[] {
  try {
    parseVaultConfig(raw);
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidConfigError);
    return (e as InvalidConfigError).issues.map((i) => `${i.path || "(root)"}: ${i.message}`);
  }
  throw new Error("expected the config to be rejected");
}

describe("deploy: vault config files", () => {
  it("parses the example: checksummed addresses, exact base units, ETH as NATIVE, durations in seconds", () => {
    const c = parseVaultConfig(readFileSync(EXAMPLE_PATH, "utf8"), { source: EXAMPLE_PATH });
    expect(c.name).to.equal("mm-hot-treasury");
    expect(c.window).to.equal(86_400n);
    expect(c.tripwire).to.deep.equal({ maxCount: 10, period: 60n });
    expect(c.tokens.map((t) => t.symbol)).to.deep.equal(["USDT", "USDC", "ETH"]);
    expect(c.tokens[2].token).to.equal(NATIVE);
    expect(c.tokens[2].vaultCap).to.equal(300n * 10n ** 18n);
    // "400000.50" USDC with 6 decimals, exactly.
    const bot2Usdc = c.operators[1].limits.find((l) => l.symbol === "USDC")!;
    expect(bot2Usdc.cap).to.equal(400_000_500_000n);
    expect(c.operators[0].destinations.map((d) => d.label)).to.deep.equal(["Binance deposit", "OKX deposit"]);
    expect(c.admin).to.equal("0x5aFE00000000000000000000000000000000A001"); // checksummed
  });

  it("maps to the constructor's InitConfig in the config's order, one limit per operator and token", () => {
    const c = parseVaultConfig(example());
    const init = toInitConfig(c);
    expect(init.tokens.map((t) => t.token)).to.deep.equal(c.tokens.map((t) => t.token));
    expect(init.limits).to.have.length(5);
    expect(init.limits[0]).to.deep.equal({ operator: c.operators[0].address, token: c.tokens[0].token, cap: 10n ** 12n, instantLimit: 250_000n * 10n ** 6n, queueCap: 5_000_000n * 10n ** 6n });
    expect(init.destinations).to.have.length(3);
    expect(init.tripwireOptOuts).to.deep.equal([]);
    const optedOut = example();
    optedOut.operators[1].tripwireOptOut = true;
    expect(toInitConfig(parseVaultConfig(optedOut)).tripwireOptOuts).to.deep.equal([c.operators[1].address]);
    expect(encodeInitConfig(init)).to.match(/^0x[0-9a-f]+$/);
  });

  it("derives the salt from name and salt only, and the config hash from everything the vault is deployed with", () => {
    const c = parseVaultConfig(example());
    const raised = example();
    raised.tokens.USDT.vaultCap = "1600000";
    const c2 = parseVaultConfig(raised);
    expect(deploymentSalt(c2)).to.equal(deploymentSalt(c));
    expect(configHash(c2)).to.not.equal(configHash(c));
    expect(deploymentSalt({ name: c.name, salt: "v2" })).to.not.equal(deploymentSalt(c));
    // abi.encode keeps ("ab", "c") and ("a", "bc") apart.
    expect(deploymentSalt({ name: "ab", salt: "c" })).to.not.equal(deploymentSalt({ name: "a", salt: "bc" }));
  });

  it("names the bad field: an instant limit above the cap", () => {
    const raw = example();
    raw.operators[1].caps.USDT.instantLimit = "600000";
    expect(issuesOf(raw)).to.deep.equal(["operators[1].caps.USDT.instantLimit: must be <= cap (600000 > 500000 USDT)"]);
  });

  it("reports every problem of the shape at once, each with its path, then the rules across fields", () => {
    const raw = example();
    raw.window = 1000;
    raw.admin = "0x5Afe00000000000000000000000000000000A001"; // wrong mixed-case checksum
    raw.guardians = [];
    raw.tokens.USDT.vaultCap = 1500000; // a JSON number
    raw.operators[0].caps.ETH.instantlimit = "5";
    expect(issuesOf(raw)).to.have.members([
      "window: must be from 1h to 30d (3600 to 2592000 s), got 1000 s",
      "admin: bad checksum in 0x5Afe00000000000000000000000000000000A001 (use all lower case or the correct mixed case)",
      "guardians: needs at least 2 entries",
      'tokens.USDT.vaultCap: expected a decimal string such as "1000000.50" (JSON numbers lose precision), got number 1500000',
      'operators[0].caps.ETH.instantlimit: unknown field (did you mean "instantLimit"?)',
    ]);
    const cross = example();
    cross.tokens.USDC.vaultCap = "1000000.1234567"; // 7 decimals for a 6-decimal token
    cross.operators[0].caps.DAI = { cap: "1", instantLimit: "1", queueCap: "1" };
    cross.operators[1].address = cross.operators[0].address;
    expect(issuesOf(cross)).to.have.members([
      'tokens.USDC.vaultCap: "1000000.1234567" has more decimal places than the token\'s 6',
      "operators[0].caps.DAI: unknown token; tokens lists USDT, USDC, ETH",
      "operators[1].address: same address as operators[0]",
    ]);
  });

  it("checks that limits are whole units that fit the vault's 36 bits, and the vault's ranges", () => {
    const raw = example();
    raw.tripwire.maxCount = 127;
    raw.changeDelay = "31d";
    raw.name = "has space";
    expect(issuesOf(raw)).to.have.members([
      "tripwire.maxCount: expected an integer from 0 to 126, got number 127",
      "changeDelay: must be from 1h to 30d (3600 to 2592000 s), got 2678400 s",
      `name: "has space" is not a name of letters, digits, '.', '_', '-' (at most 64)`,
    ]);
    const units = example();
    units.operators[0].caps.USDT.cap = "1000000.001"; // unitDecimals 4: units of 0.01 USDT
    units.tokens.USDC.vaultCap = "1000000000"; // 1e11 units > 2^36
    units.tokens.ETH = { address: "ETH", decimals: 8, unitDecimals: 2, vaultCap: "300" };
    expect(issuesOf(units)).to.have.members([
      "tokens.ETH.decimals: ETH has 18 decimals, got 8",
      "tokens.USDC.vaultCap: too large for unitDecimals 4: at most 687194767.35 USDC (2^36 - 1 units); raise unitDecimals",
      "operators[0].caps.USDT.cap: must be a whole number of units (unitDecimals 4: 1 unit = 0.01 USDT), got 1000000.001",
    ]);
  });

  it("rejects what is not JSON or not an object, and duplicates", () => {
    expect(() => parseVaultConfig("{ nope", { source: "bad.json" })).to.throw(InvalidConfigError, /bad\.json: 1 problem\n {2}\(root\): not valid JSON/);
    expect(issuesOf([])).to.deep.equal(["(root): expected an object, got an array"]);
    const raw = example();
    raw.guardians = [raw.guardians[0], raw.guardians[0].toUpperCase().replace("0X", "0x")];
    raw.tokens.USDT2 = { ...raw.tokens.USDT };
    raw.operators[0].destinations.push({ label: "again", address: raw.operators[0].destinations[0].address });
    raw.operators[1].label = "bot1";
    expect(issuesOf(raw)).to.have.members([
      "guardians[1]: same guardian as guardians[0]",
      "tokens.USDT2.address: same token as tokens.USDT",
      "operators[0].destinations[2].address: same address as destinations[0]",
      "operators[1].label: same label as operators[0]",
    ]);
  });

  it("parses approvers, co-signed destinations and co-signed caps, and stages them after what they need", () => {
    const c = parseVaultConfig(example());
    expect(c.approvers).to.deep.equal([getAddress("0xa990000000000000000000000000000000000001")]);
    expect(c.operators[0].cosignedDestinations).to.deep.equal([{ label: "OTC desk", address: getAddress("0x07c0000000000000000000000000000000000001") }]);
    expect(c.operators[1].cosignedDestinations).to.deep.equal([]);
    // "400000" USDT in base units; no cosignedCap means none.
    expect(c.operators[0].limits.map((l) => [l.symbol, l.cosignedCap])).to.deep.equal([["USDT", 400_000n * 10n ** 6n], ["USDC", 0n], ["ETH", 0n]]);
    const none = example();
    delete none.approvers;
    delete none.operators[0].cosignedDestinations;
    delete none.operators[0].caps.USDT.cosignedCap;
    const plain = parseVaultConfig(none);
    expect(plain.approvers).to.deep.equal([]);
    expect(configHash(plain)).to.not.equal(configHash(c));

    const steps = initialPolicySteps(c).map((s) => s.change);
    const at = (p: (x: (typeof steps)[number]) => boolean) => steps.findIndex(p);
    const bot1 = c.operators[0].address;
    const usdt = c.tokens[0].token;
    const cap = at((x) => x.kind === "SetCosignedCap");
    expect(steps[cap]).to.deep.equal({ kind: "SetCosignedCap", operator: bot1, token: usdt, cosignedCap: 400_000n * 10n ** 6n });
    expect(steps.filter((x) => x.kind === "SetCosignedCap")).to.have.length(1); // zero caps are not steps
    expect(cap).to.be.above(at((x) => x.kind === "SetOperatorLimits" && x.operator === bot1 && x.token === usdt));
    expect(steps[at((x) => x.kind === "ApproveCosignedDestination")]).to.deep.equal({ kind: "ApproveCosignedDestination", operator: bot1, destination: c.operators[0].cosignedDestinations[0].address });
    const approver = at((x) => x.kind === "AddApprover");
    expect(steps[approver]).to.deep.equal({ kind: "AddApprover", approver: c.approvers[0] });
    // After every operator is registered (an operator can never become an approver), before the roles.
    expect(approver).to.be.above(steps.map((x) => x.kind).lastIndexOf("SetOperatorLimits"));
    expect(approver).to.be.below(at((x) => x.kind === "AddGuardian"));
  });

  it("refuses bad approvers, co-signed destinations and co-signed caps with the typed error, naming each field", () => {
    const raw = example();
    raw.approvers = [raw.operators[1].address, "0x0000000000000000000000000000000000000000", "0xa990000000000000000000000000000000000001", "0xA990000000000000000000000000000000000001", "0x12"];
    raw.operators[0].caps.USDT.cosignedCap = "1000000.001"; // units of 0.01 USDT
    raw.operators[0].caps.ETH.cosignedCap = 5; // a JSON number
    raw.operators[1].caps.USDT.cosignedcap = "1";
    raw.operators[0].cosignedDestinations.push({ label: "again", address: raw.operators[0].cosignedDestinations[0].address });
    raw.operators[0].cosignedDestinations.push({ label: "Binance, co-signed", address: raw.operators[0].destinations[0].address });
    expect(issuesOf(raw)).to.have.members([
      "approvers[1]: the zero address is not allowed",
      "approvers[4]: expected a 20-byte hex address, got \"0x12\"",
      'operators[0].caps.ETH.cosignedCap: expected a decimal string such as "1000000.50" (JSON numbers lose precision), got number 5',
      'operators[1].caps.USDT.cosignedcap: unknown field (did you mean "cosignedCap"?)',
    ]);
    delete raw.operators[0].caps.ETH.cosignedCap;
    delete raw.operators[1].caps.USDT.cosignedcap;
    raw.approvers = raw.approvers.slice(0, 4).filter((_: string, i: number) => i !== 1);
    raw.operators[1].caps.USDC.cosignedCap = "1000000000"; // 1e11 units > 2^36
    expect(issuesOf(raw)).to.have.members([
      "operators[0].caps.USDT.cosignedCap: must be a whole number of units (unitDecimals 4: 1 unit = 0.01 USDT), got 1000000.001",
      "operators[1].caps.USDC.cosignedCap: too large for unitDecimals 4: at most 687194767.35 USDC (2^36 - 1 units); raise unitDecimals",
      "operators[0].cosignedDestinations[1].address: same address as cosignedDestinations[0]",
      "operators[0].cosignedDestinations[2].address: already in destinations[0]: a co-signed destination is one the operator may pay only with an approval",
      "approvers[0]: is operators[1] (bot2): an approver must not be an operator",
      "approvers[2]: same approver as approvers[1]",
    ]);
    expect(() => parseVaultConfig(raw, { source: "v.json" })).to.throw(InvalidConfigError, /^v\.json: 6 problems\n/);
  });

  it("parses amounts and durations exactly, or names the argument", () => {
    expect(parseAmount("1000000.50", 6)).to.equal(1_000_000_500_000n);
    expect(parseAmount("0.000000000000000001", 18)).to.equal(1n);
    expect(parseAmount("7", 0)).to.equal(7n);
    expect(parseAmount("1.500", 1)).to.equal(15n); // trailing zeros beyond the decimals are exact
    expect(() => parseAmount("1.25", 1, "amount")).to.throw(InvalidInputError, "invalid amount: \"1.25\" has more decimal places than the token's 1");
    expect(() => parseAmount("-1", 6, "amount")).to.throw(InvalidInputError, /non-negative decimal/);
    expect(() => parseAmount(1, 6, "amount")).to.throw(InvalidInputError, /JSON numbers lose precision/);
    expect(parseDuration("24h")).to.equal(86_400n);
    expect(parseDuration("2d")).to.equal(172_800n);
    expect(parseDuration(90)).to.equal(90n);
    expect(() => parseDuration("1 week", "window")).to.throw(InvalidInputError, /invalid window/);
    expect(formatDuration(86_400n)).to.equal("24h");
    expect(formatDuration(5_400n)).to.equal("1h 30m");
    expect(formatDuration(604_800n)).to.equal("7d");
  });

  it("the README's config example is valid and says what the example file says", () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Deploying a vault\n"), readme.indexOf("\n## Command line\n"));
    const block = /```json\n([\s\S]*?)```/.exec(section);
    const c = parseVaultConfig(block![1], { source: "README.md" });
    const full = parseVaultConfig(example());
    expect(c.name).to.equal(full.name);
    expect(c.operators[0].limits).to.deep.equal(full.operators[0].limits.filter((l) => l.symbol !== "USDC"));
  });

  it("the committed JSON Schema is the one the validator describes (npm run gen:config-schema)", () => {
    expect(readFileSync(SCHEMA_PATH, "utf8")).to.equal(schemaText());
    const schema = JSON.parse(schemaText());
    expect(schema.required).to.include.members(["name", "admin", "guardians", "recovery", "window", "tokens", "operators"]);
    expect(schema.additionalProperties).to.equal(false);
    expect(example().$schema).to.equal("./vault.schema.json");
  });
});
