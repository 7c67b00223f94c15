/**
 * The history as files for audits: stored events as CSV (one row per event, its arguments as JSON in the
 * last column and the usual ones in their own columns) or JSON. Pure.
 */
import { stringify } from "csv-stringify/sync";
import type { StoredEvent } from "./store";

export const EVENT_CSV_COLUMNS = ["chain", "vault", "block", "time", "transaction", "log_index", "event", "operator", "token", "to", "amount", "id", "args"] as const;

/** CSV with a header row (RFC 4180 quoting, by csv-stringify). */
export function eventsToCsv(events: readonly StoredEvent[]): string {
  const rows = events.map((e) => [
    e.chain,
    e.vault,
    e.blockNumber,
    new Date(e.timestamp * 1000).toISOString(),
    e.transactionHash,
    e.logIndex,
    e.name,
    e.operator ?? "",
    e.token ?? "",
    typeof e.args.to === "string" ? e.args.to : "",
    typeof e.args.amount === "string" ? e.args.amount : "",
    typeof e.args.id === "string" ? e.args.id : "",
    JSON.stringify(e.args),
  ]);
  return stringify(rows, { header: true, columns: [...EVENT_CSV_COLUMNS] });
}

/** JSON: an array of events, amounts as decimal strings. */
export function eventsToJson(events: readonly StoredEvent[]): string {
  return `${JSON.stringify(events.map(({ id: _id, ...e }) => ({ ...e, time: new Date(e.timestamp * 1000).toISOString() })), null, 2)}\n`;
}
