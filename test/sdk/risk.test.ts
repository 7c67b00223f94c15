import { expect } from "chai";
import { lintRisk, type RiskLintInput } from "../../sdk/monitor";

const USDT = "0x00000000000000000000000000000000000000a1";
const BOT = "0x00000000000000000000000000000000000000b1";
const usd = (n: bigint) => n * 10n ** 6n;
const HOUR = 3600n;

/** A policy with one operator and one token; figures in whole USDT. */
function input(o: { window?: bigint; delay?: bigint; cap: bigint; vaultCap: bigint; queueCap: bigint; pending?: bigint; balance: bigint }): RiskLintInput {
  return {
    policy: {
      window: o.window ?? 24n * HOUR,
      withdrawalDelay: o.delay ?? 24n * HOUR,
      tokens: [{ token: USDT, unitDecimals: 4, vaultCap: usd(o.vaultCap), used: 0n, available: usd(o.vaultCap), nextRelease: 0n, balance: usd(o.balance) }],
      operators: [
        {
          operator: BOT,
          suspended: false,
          tripwireOptedOut: false,
          destinations: [],
          cosignedDestinations: [],
          limits: [
            {
              token: USDT,
              hasLimits: true,
              cap: usd(o.cap),
              instantLimit: usd(o.cap),
              queueCap: usd(o.queueCap),
              used: 0n,
              available: usd(o.cap),
              nextRelease: 0n,
              pendingQueued: usd(o.pending ?? 0n),
              cosignedCap: 0n,
              cosignedUsed: 0n,
              cosignedAvailable: 0n,
            },
          ],
        },
      ],
    },
    tokens: [{ token: USDT, symbol: "USDT", decimals: 6 }],
    labels: new Map([[BOT, "bot1"]]),
    balancesKnown: true,
  };
}

describe("SDK: risk lint (what one key can move within 24 h)", () => {
  it("computes the 24 h reach as the README's bound and flags it at 25% of the balance, with the figures", () => {
    // Same-shape cases: [what, input, expected kinds, expected reach in USDT]
    // Over [now, now + 24 h] with W = D = 24 h: two caps (the windows covering 24 h + 1 s) plus one queue cap.
    const cases: [string, Parameters<typeof input>[0], string[], bigint][] = [
      ["caps well below the balance", { cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 0n, balance: 20_000_000n }, [], 2_000_000n],
      ["one queue cap within the day", { cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 3_000_000n, balance: 20_000_000n }, ["largeShare"], 5_000_000n],
      ["exactly 25%", { cap: 2_500_000n, vaultCap: 6_000_000n, queueCap: 0n, balance: 20_000_000n }, ["largeShare"], 5_000_000n],
      ["the vault cap binds below the key's cap", { cap: 9_000_000n, vaultCap: 2_000_000n, queueCap: 0n, balance: 20_000_000n }, [], 4_000_000n],
      ["what it already queued counts", { cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 0n, pending: 5_000_000n, balance: 20_000_000n }, ["largeShare"], 7_000_000n],
      ["a 12 h window gives the cap three times", { window: 12n * HOUR, cap: 2_000_000n, vaultCap: 2_000_000n, queueCap: 0n, balance: 20_000_000n }, ["largeShare"], 6_000_000n],
      // A 1 h withdrawal delay: the queue cap executes floor(24h / 1h) = 24 times within the day.
      ["a short withdrawal delay against a large queue cap", { delay: HOUR, cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 5_000_000n, balance: 200_000_000n }, ["largeShare", "shortWithdrawalDelay"], 122_000_000n],
      ["capped by the balance", { delay: HOUR, cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 5_000_000n, balance: 10_000_000n }, ["largeShare", "shortWithdrawalDelay"], 10_000_000n],
    ];
    for (const [what, o, kinds, reach] of cases) {
      const findings = lintRisk(input(o));
      expect(findings.map((f) => f.kind), what).to.deep.equal(kinds);
      for (const f of findings) expect(f.reach, what).to.equal(usd(reach));
    }
    const [share, short] = lintRisk(input({ delay: HOUR, cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 5_000_000n, balance: 200_000_000n }));
    expect(share.message).to.equal("one key (bot1) can move 122,000,000 USDT within 24h, 61% of the 200,000,000 USDT balance (instant 2,000,000 USDT + queued 120,000,000 USDT); lower its limits or lengthen the withdrawal delay");
    expect(short.message).to.equal(
      "the withdrawal delay (1h) is shorter than 24h: bot1 can queue and execute its queue cap of 5,000,000 USDT 24 time(s) within 24h, so one key can move 122,000,000 USDT (instant 2,000,000 USDT + queued 120,000,000 USDT)",
    );
    expect(share.shareBps).to.equal(6_100n);
  });

  it("at deploy, without balances, only the short-delay rule applies; a key with nothing left is skipped", () => {
    const atDeploy = { ...input({ delay: 2n * HOUR, cap: 1_000_000n, vaultCap: 1_500_000n, queueCap: 5_000_000n, balance: 0n }), balancesKnown: false };
    const findings = lintRisk(atDeploy);
    expect(findings.map((f) => f.kind)).to.deep.equal(["shortWithdrawalDelay"]);
    expect(findings[0].balance).to.equal(null);
    expect(findings[0].queued).to.equal(usd(5_000_000n) * 12n);
    expect(lintRisk(input({ cap: 0n, vaultCap: 1_500_000n, queueCap: 0n, balance: 1n }))).to.deep.equal([]);
  });
});
