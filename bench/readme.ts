/**
 * The README's gas table, rendered from a bench results file: `npm run bench` writes it between the
 * markers below, and test/bench-readme.test.ts fails if the README's table differs from what
 * bench/results.json renders, so the figures people read are the bench's own.
 */
export const TABLE_START = "<!-- bench:gas-table:start (written by npm run bench; do not edit) -->";
export const TABLE_END = "<!-- bench:gas-table:end -->";

export interface ResultsFile {
  rows: { key: string; label: string; gas: string }[];
  runtimeSizes?: Record<string, string>;
}

const fmt = (n: bigint): string => n.toLocaleString("en-US");

/** The markdown table of a results file (figures only from it). */
export function renderGasTable(results: ResultsFile): string {
  const gas = (key: string): bigint => {
    const row = results.rows.find((r) => r.key === key);
    if (!row) throw new Error(`bench results have no row ${key}`);
    return BigInt(row.gas);
  };
  const has = (key: string) => results.rows.some((r) => r.key === key);
  const over = (key: string, raw: string) => `+${fmt(gas(key) - gas(raw))}`;
  const ratio = (key: string, raw: string, safe: string) =>
    `${(Number(gas(key) - gas(raw)) / Number(gas(safe) - gas(raw))).toFixed(2)}x`;
  const lines = [
    "| operation | gas | over the raw transfer | overhead / Safe overhead |",
    "| --- | ---: | ---: | ---: |",
    `| raw ERC-20 transfer (OpenZeppelin), EOA | ${fmt(gas("raw.erc20"))} | | |`,
    `| raw USDT-like transfer, EOA | ${fmt(gas("raw.usdt"))} | | |`,
    `| raw ETH transfer, EOA | ${fmt(gas("raw.eth"))} | | |`,
    `| 1-of-1 Safe, ERC-20 transfer | ${fmt(gas("safe.erc20"))} | ${over("safe.erc20", "raw.erc20")} | 1.00x |`,
    `| 1-of-1 Safe, ETH transfer | ${fmt(gas("safe.eth"))} | ${over("safe.eth", "raw.eth")} | 1.00x |`,
    `| vault \`withdrawInstant\`, ERC-20 (subsequent) | ${fmt(gas("withdraw.erc20.next"))} | ${over("withdraw.erc20.next", "raw.erc20")} | ${ratio("withdraw.erc20.next", "raw.erc20", "safe.erc20")} |`,
    `| vault \`withdrawInstant\`, USDT-like (subsequent) | ${fmt(gas("withdraw.usdt.next"))} | ${over("withdraw.usdt.next", "raw.usdt")} | ${ratio("withdraw.usdt.next", "raw.usdt", "safe.usdt")} |`,
    `| vault \`withdrawInstant\`, ETH (subsequent) | ${fmt(gas("withdraw.eth.next"))} | ${over("withdraw.eth.next", "raw.eth")} | ${ratio("withdraw.eth.next", "raw.eth", "safe.eth")} |`,
    `| \`queueWithdrawal\` / \`executeWithdrawal\` / \`cancelWithdrawal\` | ${fmt(gas("queue"))} / ${fmt(gas("execute"))} / ${fmt(gas("cancel"))} | | |`,
    `| \`proposeChange\` / \`executeChange\` / \`cancelChange\` | ${fmt(gas("propose"))} / ${fmt(gas("executeChange"))} / ${fmt(gas("cancelChange"))} | | |`,
    `| first \`pause\` / \`suspendOperator\` (3 tokens listed) | ${fmt(gas("pause"))} / ${fmt(gas("suspend"))} | | |`,
  ];
  if (has("suspend.sparse")) lines.push(`| \`suspendOperator\`, limits on 1 of 32 listed tokens | ${fmt(gas("suspend.sparse"))} | | |`);
  if (has("cosigned.erc20.next")) {
    lines.push(
      `| vault \`withdrawCosigned\`, ERC-20 above the instant limit, key approver: first / subsequent | ${fmt(gas("cosigned.erc20.first"))} / ${fmt(gas("cosigned.erc20.next"))} | ${over("cosigned.erc20.next", "raw.erc20")} | |`,
      `| \`executeWithdrawalEarly\` (ERC-20, key approver) | ${fmt(gas("early"))} | | |`,
    );
  }
  if (has("removeOperator")) lines.push(`| \`removeOperator\` (limits on 3 tokens, 1 destination) | ${fmt(gas("removeOperator"))} | | |`);
  lines.push(
    `| \`evacuate\` (ERC-20) | ${fmt(gas("evacuate"))} | | |`,
    `| deployment with the initial policy: direct / through \`VaultFactory\` (CREATE2) | ${fmt(gas("deploy"))} / ${fmt(gas("deploy.factory"))} | | |`,
  );
  if (has("deploy.largest.total")) {
    lines.push(
      `| deployment, 8 tokens x 16 operators x 64 destinations: ${fmt(gas("deploy.8x16.count"))} transactions under 2^24 / ${fmt(gas("deploy.8x16.staged.count"))} batches of at most 6M (largest, total) | ${fmt(gas("deploy.8x16.max"))}, ${fmt(gas("deploy.8x16.total"))} / ${fmt(gas("deploy.8x16.staged.max"))}, ${fmt(gas("deploy.8x16.staged.total"))} | | |`,
      `| deployment, 32 tokens x 64 operators x 256 destinations: ${fmt(gas("deploy.largest.count"))} transactions under 2^24 (largest, last, total) | ${fmt(gas("deploy.largest.max"))}, ${fmt(gas("deploy.largest.last"))}, ${fmt(gas("deploy.largest.total"))} | | |`,
    );
  }
  if (results.runtimeSizes) {
    const sizes = Object.entries(results.runtimeSizes).map(([name, bytes]) => `${name} ${fmt(BigInt(bytes))}`).join(", ");
    lines.push("", `Runtime code size in bytes (EIP-170 allows 24,576): ${sizes}.`);
  }
  return lines.join("\n");
}

/** `readme` with the text between the markers replaced by `table`. */
export function withGasTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error("README.md has no bench gas-table markers");
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
