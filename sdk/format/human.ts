/**
 * Human-readable input for people and their tools: token symbols, decimal amounts ("250000.5") and
 * durations ("24h") turned into what the vault takes. Functions that read token metadata read the chain
 * and say so; the rest is pure.
 */
import type { Provider } from "ethers";
import { connectErc20 } from "../abi";
import { CHANGE_PARAM_TYPES, type ChangeParams } from "../rules/changes";
import { parseAmount, parseDuration } from "../deploy/config";
import { CHANGE_KINDS, NATIVE, type ChangeKind } from "../rules/constants";
import { InvalidInputError } from "../errors/base";
import { connectVault, read } from "../clients/transport";
import { readTokens } from "../clients/state";
import { requireAddress, requireSmallInt } from "../errors/validate";

/** A token's address, symbol and decimals. */
export interface TokenMeta {
  readonly token: string;
  readonly symbol: string;
  readonly decimals: number;
}

/** Reads the chain: `symbol()` and `decimals()` of a token (ETH for `NATIVE`). Throws `InvalidInputError` if it has no `decimals()`. */
export async function readTokenMeta(provider: Provider, token: string): Promise<TokenMeta> {
  const address = requireAddress(token, "token");
  if (address === NATIVE) return { token: NATIVE, symbol: "ETH", decimals: 18 };
  const erc20 = connectErc20(address, provider);
  const [symbol, decimals] = await Promise.all([erc20.symbol().catch(() => null), erc20.decimals().catch(() => null)]);
  if (decimals === null) throw new InvalidInputError("token", `${address} has no decimals(): is it a token on this chain?`);
  return { token: address, symbol: symbol ?? `${address.slice(0, 6)}…${address.slice(-4)}`, decimals: Number(decimals) };
}

/** Reads the chain: the vault's listed tokens with their symbols and decimals. */
export async function readListedTokens(o: { provider: Provider; vault: string }): Promise<TokenMeta[]> {
  const vault = connectVault(requireAddress(o.vault, "vault"), o.provider);
  const tokens = await read(() => readTokens(vault));
  return Promise.all(tokens.map((t) => readTokenMeta(o.provider, t)));
}

/** Pure: the token `ref` names among `tokens`, by symbol (any case), "ETH", or address. */
export function findToken(tokens: readonly TokenMeta[], ref: string, field = "token"): TokenMeta {
  if (typeof ref !== "string" || !ref.length) throw new InvalidInputError(field, "expected a token symbol or address");
  const bySymbol = tokens.filter((t) => t.symbol.toLowerCase() === ref.toLowerCase());
  if (bySymbol.length === 1) return bySymbol[0];
  if (bySymbol.length > 1) throw new InvalidInputError(field, `several listed tokens are called ${ref}; use the address`);
  if (/^0x[0-9a-fA-F]{40}$/.test(ref)) {
    const address = requireAddress(ref, field);
    const t = tokens.find((x) => x.token === address);
    if (t) return t;
  }
  throw new InvalidInputError(field, `${ref} is not listed by the vault; listed: ${tokens.map((t) => t.symbol).join(", ") || "none"}`);
}

const AMOUNT_FIELDS = new Set(["cap", "instantLimit", "queueCap", "vaultCap"]);

/**
 * A change from human input: `kind` a `ChangeKind` name and `params` an object with one entry per parameter
 * of the kind (see `CHANGE_PARAM_TYPES`): tokens by symbol or address (resolved with `resolveToken`,
 * which may read the chain), amounts as decimal strings in whole tokens, delays and periods as seconds or
 * durations ("24h"). Throws `InvalidInputError` naming the bad parameter.
 */
export async function changeFromHuman(o: {
  kind: string;
  params: unknown;
  resolveToken: (ref: string, field: string) => Promise<TokenMeta>;
}): Promise<ChangeParams> {
  if (!(CHANGE_KINDS as readonly string[]).includes(o.kind)) {
    throw new InvalidInputError("kind", `${JSON.stringify(o.kind)} is not a change kind; one of ${CHANGE_KINDS.join(", ")}`);
  }
  const kind = o.kind as ChangeKind;
  const params = o.params ?? {};
  if (typeof params !== "object" || Array.isArray(params)) throw new InvalidInputError("params", "expected a JSON object");
  const input = params as Record<string, unknown>;
  const fields = CHANGE_PARAM_TYPES[kind].map((p) => {
    const [type, name] = p.split(" ");
    return { type, name };
  });
  for (const key of Object.keys(input)) {
    if (!fields.some((f) => f.name === key)) {
      throw new InvalidInputError(`params.${key}`, `${kind} takes ${fields.length ? fields.map((f) => f.name).join(", ") : "no parameters"}`);
    }
  }
  const out: Record<string, unknown> = { kind };
  const token = fields.some((f) => f.name === "token") ? await o.resolveToken(String(input.token ?? ""), "params.token") : null;
  for (const { type, name } of fields) {
    const field = `params.${name}`;
    const value = input[name];
    if (value === undefined) throw new InvalidInputError(field, `is required for ${kind}`);
    if (name === "token") out.token = token!.token;
    else if (AMOUNT_FIELDS.has(name)) out[name] = parseAmount(value, token!.decimals, field);
    else if (type === "uint32") out[name] = parseDuration(value, field);
    else if (type === "uint8") out[name] = requireSmallInt(value, field, 8);
    else if (type === "bool") {
      if (typeof value !== "boolean") throw new InvalidInputError(field, "expected true or false");
      out[name] = value;
    } else out[name] = requireAddress(value, field);
  }
  return out as ChangeParams;
}
