/**
 * Vault configuration files: one JSON document per vault, checked against a schema that reports every
 * problem with the path of the bad field (`operators[1].caps.USDT.instantLimit: must be <= cap ...`),
 * human amounts ("1000000.50") converted exactly with each token's decimals, and the mapping to the
 * constructor's `InitConfig`. Pure: no network, no file system, no compiled artifacts.
 *
 * The schema is declared once, below, and serves both as the validator and as the JSON Schema document
 * editors use (`vaultConfigJsonSchema()`, committed as `config/vault.schema.json`). Rules that span
 * fields (limits against caps, references to token symbols, uniqueness, whole units) are checked in a
 * second pass, with the same paths.
 */
import { AbiCoder, ZeroAddress, getAddress, isAddress, keccak256 } from "ethers";
import { MAX_DELAY, MAX_OPERATORS, MAX_TOKENS, MAX_TRIP_COUNT, MAX_TRIP_PERIOD, MAX_UNIT_DECIMALS, MIN_DELAY, NATIVE } from "../rules/constants";
import { InvalidInputError, VaultSdkError } from "../errors/base";
import { AMOUNT_MASK } from "../rules/policy";

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** One problem in a config, at a path such as `operators[1].caps.USDT.instantLimit`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** The config does not satisfy the schema or the vault's rules; `issues` lists every problem found. */
export class InvalidConfigError extends VaultSdkError {
  readonly issues: readonly ConfigIssue[];
  /** Where the config came from (a file name), if known. */
  readonly source: string | undefined;
  constructor(issues: readonly ConfigIssue[], source?: string) {
    const head = `${source ?? "vault config"}: ${issues.length} problem${issues.length === 1 ? "" : "s"}`;
    super([head, ...issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`)].join("\n"));
    this.issues = issues;
    this.source = source;
  }
}

// ---------------------------------------------------------------------------------------------
// The validated config
// ---------------------------------------------------------------------------------------------

/** A token the vault lists. Amounts in base units. */
export interface TokenSpec {
  /** The key of the token in the config (`USDT`, `ETH`). */
  readonly symbol: string;
  /** Checksummed address, or `NATIVE` for ETH. */
  readonly token: string;
  readonly decimals: number;
  readonly unitDecimals: number;
  readonly vaultCap: bigint;
}

/** One operator's limits for one token, in base units. */
export interface OperatorLimitSpec {
  readonly symbol: string;
  readonly token: string;
  readonly cap: bigint;
  readonly instantLimit: bigint;
  readonly queueCap: bigint;
  /**
   * Most the operator may move in any window through the co-signed paths (withdrawals with an approver's
   * signature above the instant limit, and early releases of queued ones), on top of `cap`; 0: none.
   */
  readonly cosignedCap: bigint;
}

export interface DestinationSpec {
  readonly label: string;
  readonly address: string;
}

export interface OperatorSpec {
  readonly label: string;
  readonly address: string;
  readonly tripwireOptOut: boolean;
  readonly limits: readonly OperatorLimitSpec[];
  readonly destinations: readonly DestinationSpec[];
  /** Destinations the operator may pay only with an approver's signature for that exact withdrawal. */
  readonly cosignedDestinations: readonly DestinationSpec[];
}

/** A validated vault config: addresses checksummed, amounts in base units, durations in seconds. */
export interface VaultConfig {
  readonly name: string;
  /** Extra salt material ("" if none): change it to deploy another vault under the same name. */
  readonly salt: string;
  readonly admin: string;
  readonly guardians: readonly string[];
  /** Approvers: keys or EIP-1271 contracts (a Safe) whose signature co-signs one withdrawal; never operators. */
  readonly approvers: readonly string[];
  readonly recovery: string;
  readonly window: bigint;
  readonly changeDelay: bigint;
  readonly withdrawalDelay: bigint;
  readonly tripwire: { readonly maxCount: number; readonly period: bigint };
  readonly tokens: readonly TokenSpec[];
  readonly operators: readonly OperatorSpec[];
}

/** The vault constructor's argument (`IGuardedVault.InitConfig`). */
export interface InitConfig {
  readonly admin: string;
  readonly guardians: readonly string[];
  readonly recovery: string;
  readonly window: bigint;
  readonly changeDelay: bigint;
  readonly withdrawalDelay: bigint;
  readonly tripwireMaxCount: number;
  readonly tripwirePeriod: bigint;
  readonly tokens: readonly { readonly token: string; readonly unitDecimals: number; readonly vaultCap: bigint }[];
  readonly limits: readonly { readonly operator: string; readonly token: string; readonly cap: bigint; readonly instantLimit: bigint; readonly queueCap: bigint }[];
  readonly destinations: readonly { readonly operator: string; readonly destination: string }[];
  readonly tripwireOptOuts: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Amounts and durations
// ---------------------------------------------------------------------------------------------

const AMOUNT_RE = /^(\d+)(?:\.(\d+))?$/;
const DURATION_RE = /^(\d+)\s*(s|m|h|d)?$/;
const DURATION_UNITS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86_400n };

/** Parses a decimal string ("1000000.50") into base units, exactly. Throws `InvalidInputError` naming `field`. */
export function parseAmount(value: unknown, decimals: number, field = "amount"): bigint {
  const issues: ConfigIssue[] = [];
  const amount = amountOf(value, decimals, field, issues);
  if (amount === undefined) throw new InvalidInputError(field, issues[0].message);
  return amount;
}

/** Parses a duration: whole seconds as a number, or a string such as "90s", "30m", "24h", "2d". Throws `InvalidInputError`. */
export function parseDuration(value: unknown, field = "duration"): bigint {
  const issues: ConfigIssue[] = [];
  const seconds = durationOf(value, field, issues);
  if (seconds === undefined) throw new InvalidInputError(field, issues[0].message);
  return seconds;
}

/** "24h", "1h 30m", "90s": a readable exact form of a number of seconds (whole hours up to 48 h as hours). */
export function formatDuration(seconds: bigint): string {
  if (seconds === 0n) return "0s";
  if (seconds % 3600n === 0n && seconds <= 172_800n) return `${seconds / 3600n}h`;
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [["d", 86_400n], ["h", 3600n], ["m", 60n], ["s", 1n]] as const) {
    if (rest >= size) {
      parts.push(`${rest / size}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

function amountOf(value: unknown, decimals: number, path: string, issues: ConfigIssue[]): bigint | undefined {
  if (typeof value !== "string") {
    issues.push({ path, message: `expected a decimal string such as "1000000.50" (JSON numbers lose precision), got ${describe(value)}` });
    return undefined;
  }
  const m = AMOUNT_RE.exec(value.trim());
  if (!m) {
    issues.push({ path, message: `expected a non-negative decimal number such as "1000000.50", got ${JSON.stringify(value)}` });
    return undefined;
  }
  const fraction = m[2] ?? "";
  if (fraction.length > decimals && /[1-9]/.test(fraction.slice(decimals))) {
    issues.push({ path, message: `${JSON.stringify(value)} has more decimal places than the token's ${decimals}` });
    return undefined;
  }
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt((fraction.slice(0, decimals) || "0").padEnd(decimals, "0") || "0");
}

function durationOf(value: unknown, path: string, issues: ConfigIssue[]): bigint | undefined {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    issues.push({ path, message: `expected whole seconds, got ${value}` });
    return undefined;
  }
  const m = typeof value === "string" ? DURATION_RE.exec(value.trim()) : null;
  if (!m) {
    issues.push({ path, message: `expected seconds or a duration such as "90s", "30m", "24h", "2d", got ${describe(value)}` });
    return undefined;
  }
  return BigInt(m[1]) * DURATION_UNITS[m[2] ?? "s"];
}

// ---------------------------------------------------------------------------------------------
// Schema nodes: each validates a value (collecting issues) and describes itself as JSON Schema
// ---------------------------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

interface Node<T> {
  readonly schema: JsonSchema;
  check(value: unknown, path: string, issues: ConfigIssue[]): T | undefined;
}

type TypeOf<N> = N extends Node<infer T> ? T : never;

const at = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function text(o: { description: string; pattern?: RegExp; hint?: string; maxLength?: number }): Node<string> {
  return {
    schema: { type: "string", description: o.description, minLength: 1, ...(o.maxLength ? { maxLength: o.maxLength } : {}), ...(o.pattern ? { pattern: o.pattern.source } : {}) },
    check(value, path, issues) {
      if (typeof value !== "string" || value.length === 0) {
        issues.push({ path, message: `expected a non-empty string, got ${describe(value)}` });
        return undefined;
      }
      if (o.maxLength && value.length > o.maxLength) {
        issues.push({ path, message: `at most ${o.maxLength} characters` });
        return undefined;
      }
      if (o.pattern && !o.pattern.test(value)) {
        issues.push({ path, message: `${JSON.stringify(value)} is not ${o.hint ?? `of the form ${o.pattern.source}`}` });
        return undefined;
      }
      return value;
    },
  };
}

/** A checksummed non-zero address; with `eth`, also the string "ETH" (returned as `NATIVE`). */
function address(description: string, options: { eth?: boolean } = {}): Node<string> {
  const pattern = options.eth ? "^(ETH|0x[0-9a-fA-F]{40})$" : "^0x[0-9a-fA-F]{40}$";
  return {
    schema: { type: "string", description, pattern },
    check(value, path, issues) {
      if (options.eth && value === "ETH") return NATIVE;
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
        issues.push({ path, message: `expected a 20-byte hex address${options.eth ? ' or "ETH"' : ""}, got ${describe(value)}` });
        return undefined;
      }
      if (!isAddress(value)) {
        issues.push({ path, message: `bad checksum in ${value} (use all lower case or the correct mixed case)` });
        return undefined;
      }
      const checksummed = getAddress(value);
      if (checksummed === ZeroAddress) {
        issues.push({ path, message: "the zero address is not allowed" });
        return undefined;
      }
      return checksummed;
    },
  };
}

function integer(o: { description: string; min: number; max: number }): Node<number> {
  return {
    schema: { type: "integer", description: o.description, minimum: o.min, maximum: o.max },
    check(value, path, issues) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < o.min || value > o.max) {
        issues.push({ path, message: `expected an integer from ${o.min} to ${o.max}, got ${describe(value)}` });
        return undefined;
      }
      return value;
    },
  };
}

function boolean(description: string): Node<boolean> {
  return {
    schema: { type: "boolean", description },
    check(value, path, issues) {
      if (typeof value !== "boolean") {
        issues.push({ path, message: `expected true or false, got ${describe(value)}` });
        return undefined;
      }
      return value;
    },
  };
}

/** A decimal string in whole tokens; converted to base units in the second pass, once decimals are known. */
function amount(description: string): Node<string> {
  return {
    schema: { type: "string", description, pattern: AMOUNT_RE.source },
    check(value, path, issues) {
      // The shape only: decimals (and so the exact value) are known once the token is.
      if (typeof value === "string" && AMOUNT_RE.test(value.trim())) return value.trim();
      issues.push({
        path,
        message:
          typeof value === "string"
            ? `expected a non-negative decimal number such as "1000000.50", got ${JSON.stringify(value)}`
            : `expected a decimal string such as "1000000.50" (JSON numbers lose precision), got ${describe(value)}`,
      });
      return undefined;
    },
  };
}

function duration(o: { description: string; min: bigint; max: bigint; multipleOf?: bigint }): Node<bigint> {
  return {
    schema: {
      description: o.description,
      oneOf: [{ type: "integer", minimum: Number(o.min), maximum: Number(o.max) }, { type: "string", pattern: DURATION_RE.source }],
    },
    check(value, path, issues) {
      const seconds = durationOf(value, path, issues);
      if (seconds === undefined) return undefined;
      if (seconds < o.min || seconds > o.max) {
        issues.push({ path, message: `must be from ${formatDuration(o.min)} to ${formatDuration(o.max)} (${o.min} to ${o.max} s), got ${seconds} s` });
        return undefined;
      }
      if (o.multipleOf && seconds % o.multipleOf !== 0n) {
        issues.push({ path, message: `must be a multiple of ${o.multipleOf} seconds, got ${seconds}` });
        return undefined;
      }
      return seconds;
    },
  };
}

function list<T>(item: Node<T>, o: { description: string; min?: number; max?: number }): Node<T[]> {
  return {
    schema: { type: "array", description: o.description, items: item.schema, ...(o.min ? { minItems: o.min } : {}), ...(o.max ? { maxItems: o.max } : {}) },
    check(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected an array, got ${describe(value)}` });
        return undefined;
      }
      if (o.min !== undefined && value.length < o.min) issues.push({ path, message: `needs at least ${o.min} entr${o.min === 1 ? "y" : "ies"}` });
      if (o.max !== undefined && value.length > o.max) issues.push({ path, message: `at most ${o.max} entries, got ${value.length}` });
      const out: T[] = [];
      let ok = true;
      value.forEach((v, i) => {
        const r = item.check(v, at(path, i), issues);
        if (r === undefined) ok = false;
        else out.push(r);
      });
      return ok ? out : undefined;
    },
  };
}

/** An object keyed by names matching `key`, in the order written. */
function record<T>(key: { pattern: RegExp; hint: string }, value: Node<T>, o: { description: string; min?: number; max?: number }): Node<[string, T][]> {
  return {
    schema: {
      type: "object",
      description: o.description,
      propertyNames: { pattern: key.pattern.source },
      additionalProperties: value.schema,
      ...(o.min ? { minProperties: o.min } : {}),
      ...(o.max ? { maxProperties: o.max } : {}),
    },
    check(input, path, issues) {
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        issues.push({ path, message: `expected an object, got ${describe(input)}` });
        return undefined;
      }
      const entries = Object.entries(input);
      if (o.min !== undefined && entries.length < o.min) issues.push({ path, message: `needs at least ${o.min} entr${o.min === 1 ? "y" : "ies"}` });
      if (o.max !== undefined && entries.length > o.max) issues.push({ path, message: `at most ${o.max} entries, got ${entries.length}` });
      const out: [string, T][] = [];
      let ok = true;
      for (const [k, v] of entries) {
        if (!key.pattern.test(k)) {
          issues.push({ path: at(path, k), message: `${JSON.stringify(k)} is not ${key.hint}` });
          ok = false;
          continue;
        }
        const r = value.check(v, at(path, k), issues);
        if (r === undefined) ok = false;
        else out.push([k, r]);
      }
      return ok ? out : undefined;
    },
  };
}

type Fields = Record<string, Node<unknown>>;
type ObjectOf<R extends Fields, O extends Fields> = { [K in keyof R]: TypeOf<R[K]> } & { [K in keyof O]?: TypeOf<O[K]> };

function object<R extends Fields, O extends Fields>(description: string, required: R, optional: O): Node<ObjectOf<R, O>> {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, n] of Object.entries({ ...required, ...optional })) properties[k] = n.schema;
  return {
    schema: { type: "object", description, properties, required: Object.keys(required), additionalProperties: false },
    check(input, path, issues) {
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        issues.push({ path, message: `expected an object, got ${describe(input)}` });
        return undefined;
      }
      const value = input as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const k of Object.keys(value)) {
        if (!(k in required) && !(k in optional)) {
          const known = [...Object.keys(required), ...Object.keys(optional)];
          const near = known.find((n) => n.toLowerCase() === k.toLowerCase());
          issues.push({ path: at(path, k), message: `unknown field${near ? ` (did you mean "${near}"?)` : `; expected one of ${known.join(", ")}`}` });
          ok = false;
        }
      }
      for (const [k, node] of Object.entries(required)) {
        if (!(k in value) || value[k] === undefined) {
          issues.push({ path: at(path, k), message: "is required" });
          ok = false;
          continue;
        }
        const r = node.check(value[k], at(path, k), issues);
        if (r === undefined) ok = false;
        else out[k] = r;
      }
      for (const [k, node] of Object.entries(optional)) {
        if (!(k in value) || value[k] === undefined) continue;
        const r = node.check(value[k], at(path, k), issues);
        if (r === undefined) ok = false;
        else out[k] = r;
      }
      return ok ? (out as ObjectOf<R, O>) : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The vault config schema
// ---------------------------------------------------------------------------------------------

const SYMBOL = { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/, hint: "a token symbol (letters, digits, '.', '_', '-'; at most 16)" };
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const tokenNode = object(
  "A token the vault lists, keyed by its symbol.",
  {
    address: address('The token contract, or "ETH" for ether.', { eth: true }),
    decimals: integer({ description: "The token's decimals (its base unit is 10^-decimals tokens).", min: 0, max: 77 }),
    unitDecimals: integer({ description: "Limits are kept in units of 10^unitDecimals base units; every limit must be a whole number of units and at most 2^36 - 1 units.", min: 0, max: MAX_UNIT_DECIMALS }),
    vaultCap: amount("Most all operators together may move instantly in any window, in whole tokens (decimal string)."),
  },
  {},
);

const limitsNode = object(
  "One operator's limits for one token, in whole tokens (decimal strings).",
  {
    cap: amount("Most the operator may move instantly in any window."),
    instantLimit: amount("Largest single instant withdrawal; larger ones must be queued. At most cap."),
    queueCap: amount("Most the operator may have pending in the withdrawal queue; like the other limits, a whole number of units and at most 2^36 - 1 units."),
  },
  {
    cosignedCap: amount(
      "Most the operator may move in any window through the co-signed paths (a withdrawal with an approver's signature, above the instant limit; an early release of a queued one), on top of cap and within the vault cap; like the other limits, a whole number of units and at most 2^36 - 1 units (default 0: none).",
    ),
  },
);

const destinationNode = object(
  "A destination approved for the operator.",
  {
    label: text({ description: "What the address is (e.g. \"Binance deposit\").", maxLength: 64 }),
    address: address("The destination address."),
  },
  {},
);

const operatorNode = object(
  "An operator key (a bot) with its limits per token and its approved destinations.",
  {
    label: text({ description: "A name for the operator (e.g. \"bot1\").", maxLength: 64 }),
    address: address("The operator's address."),
    caps: record(SYMBOL, limitsNode, { description: "Limits per token symbol (a key of `tokens`).", min: 1 }),
    destinations: list(destinationNode, { description: "Destinations approved for this operator." }),
  },
  {
    cosignedDestinations: list(destinationNode, {
      description: "Destinations the operator may pay only with an approver's signature for that exact withdrawal (an OTC counterparty, a new exchange account); not also in `destinations`.",
    }),
    tripwireOptOut: boolean("Plain reverts instead of auto-suspension when the operator breaks policy (default false)."),
  },
);

const DELAY = { min: MIN_DELAY, max: MAX_DELAY };

const configNode = object(
  "A GuardedVault deployment: roles, timing, tokens and operators. The initial policy applies in the deployment itself.",
  {
    name: text({ description: "Name of the vault; with `salt`, it determines the CREATE2 salt and names the deployment record.", pattern: NAME, hint: "a name of letters, digits, '.', '_', '-' (at most 64)" }),
    admin: address("Proposes and executes changes (use a Safe)."),
    guardians: list(address("A guardian: pauses, suspends, cancels, lowers limits, evacuates."), { description: "Guardian accounts (a Safe and/or watcher keys); at least two, so that one is left to veto when the admin key is stolen.", min: 2 }),
    recovery: address("Cold-storage address that evacuations go to."),
    window: duration({ description: "Rate-limit window: seconds or a duration such as \"24h\"; a multiple of 3 seconds, 1h to 30d.", ...DELAY, multipleOf: 3n }),
    changeDelay: duration({ description: "How long a proposed change waits: 1h to 30d.", ...DELAY }),
    withdrawalDelay: duration({ description: "How long a queued withdrawal waits: 1h to 30d.", ...DELAY }),
    tripwire: object(
      "More than maxCount instant withdrawals of one token by one operator within one period trips the tripwire.",
      {
        maxCount: integer({ description: "Most instant withdrawals per period (0 turns the rate rule off).", min: 0, max: MAX_TRIP_COUNT }),
        period: duration({ description: "Length of the counting period.", min: 1n, max: MAX_TRIP_PERIOD }),
      },
      {},
    ),
    tokens: record(SYMBOL, tokenNode, { description: "Listed tokens by symbol.", min: 1, max: MAX_TOKENS }),
    operators: list(operatorNode, { description: "Operator keys and their limits.", max: MAX_OPERATORS }),
  },
  {
    approvers: list(address("An approver: a key on separate infrastructure, or a contract answering EIP-1271 (a Safe), whose EIP-712 signature approves one withdrawal; never an operator."), {
      description: "Approvers whose signature lets an operator pay a co-signed destination, exceed its instant limit up to its co-signed cap, or release a queued withdrawal early (default none).",
    }),
    $schema: text({ description: "Path or URL of this schema, for editors." }),
    description: text({ description: "Free text." }),
    salt: text({ description: "Extra CREATE2 salt material: change it to deploy a new vault under the same name.", maxLength: 64 }),
  },
);

/** The config format as a JSON Schema document (cross-field rules are checked by `parseVaultConfig` only). */
export function vaultConfigJsonSchema(): JsonSchema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "Guarded treasury vault config",
    ...configNode.schema,
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Validates a config (a JSON string or the parsed value) and converts it: addresses checksummed (ETH as
 * `NATIVE`), amounts in base units, durations in seconds. Throws `InvalidConfigError` listing every
 * problem, each with the path of the bad field.
 */
export function parseVaultConfig(input: unknown, options: { source?: string } = {}): VaultConfig {
  let raw = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      throw new InvalidConfigError([{ path: "", message: `not valid JSON: ${(e as Error).message}` }], options.source);
    }
  }
  const issues: ConfigIssue[] = [];
  const file = configNode.check(raw, "", issues);
  if (!file) throw new InvalidConfigError(issues, options.source);

  const tokens: TokenSpec[] = [];
  const bySymbol = new Map<string, TokenSpec>();
  const seenTokens = new Map<string, string>();
  for (const [symbol, t] of file.tokens) {
    const path = at("tokens", symbol);
    const prior = seenTokens.get(t.address);
    if (prior !== undefined) issues.push({ path: at(path, "address"), message: `same token as tokens.${prior}` });
    seenTokens.set(t.address, symbol);
    if (t.address === NATIVE && t.decimals !== 18) issues.push({ path: at(path, "decimals"), message: `ETH has 18 decimals, got ${t.decimals}` });
    const vaultCap = limitAmount(t.vaultCap, t, symbol, at(path, "vaultCap"), issues);
    const spec: TokenSpec = { symbol, token: t.address, decimals: t.decimals, unitDecimals: t.unitDecimals, vaultCap: vaultCap ?? 0n };
    tokens.push(spec);
    bySymbol.set(symbol, spec);
  }

  const guardians = unique(file.guardians, "guardians", "guardian", issues);

  const operators: OperatorSpec[] = [];
  const seenOperators = new Map<string, number>();
  const seenLabels = new Map<string, number>();
  file.operators.forEach((o, i) => {
    const path = at("operators", i);
    const priorAddress = seenOperators.get(o.address);
    if (priorAddress !== undefined) issues.push({ path: at(path, "address"), message: `same address as operators[${priorAddress}]` });
    seenOperators.set(o.address, i);
    const priorLabel = seenLabels.get(o.label);
    if (priorLabel !== undefined) issues.push({ path: at(path, "label"), message: `same label as operators[${priorLabel}]` });
    seenLabels.set(o.label, i);

    const limits: OperatorLimitSpec[] = [];
    for (const [symbol, l] of o.caps) {
      const lp = at(at(path, "caps"), symbol);
      const token = bySymbol.get(symbol);
      if (!token) {
        issues.push({ path: lp, message: `unknown token; tokens lists ${[...bySymbol.keys()].join(", ")}` });
        continue;
      }
      const cap = limitAmount(l.cap, token, symbol, at(lp, "cap"), issues);
      const instantLimit = limitAmount(l.instantLimit, token, symbol, at(lp, "instantLimit"), issues);
      const queueCap = limitAmount(l.queueCap, token, symbol, at(lp, "queueCap"), issues);
      if (cap !== undefined && instantLimit !== undefined && instantLimit > cap) {
        issues.push({ path: at(lp, "instantLimit"), message: `must be <= cap (${l.instantLimit} > ${l.cap} ${symbol})` });
      }
      const cosignedCap = l.cosignedCap === undefined ? 0n : limitAmount(l.cosignedCap, token, symbol, at(lp, "cosignedCap"), issues);
      if (cap !== undefined && instantLimit !== undefined && queueCap !== undefined && cosignedCap !== undefined) {
        limits.push({ symbol, token: token.token, cap, instantLimit, queueCap, cosignedCap });
      }
    }

    const destinations: DestinationSpec[] = [];
    const seenDest = new Map<string, number>();
    o.destinations.forEach((d, j) => {
      const prior = seenDest.get(d.address);
      if (prior !== undefined) issues.push({ path: at(at(at(path, "destinations"), j), "address"), message: `same address as destinations[${prior}]` });
      seenDest.set(d.address, j);
      destinations.push({ label: d.label, address: d.address });
    });
    const cosignedDestinations: DestinationSpec[] = [];
    const seenCosigned = new Map<string, number>();
    (o.cosignedDestinations ?? []).forEach((d, j) => {
      const dp = at(at(at(path, "cosignedDestinations"), j), "address");
      const prior = seenCosigned.get(d.address);
      if (prior !== undefined) issues.push({ path: dp, message: `same address as cosignedDestinations[${prior}]` });
      const ordinary = seenDest.get(d.address);
      if (ordinary !== undefined) {
        issues.push({ path: dp, message: `already in destinations[${ordinary}]: a co-signed destination is one the operator may pay only with an approval` });
      }
      seenCosigned.set(d.address, j);
      cosignedDestinations.push({ label: d.label, address: d.address });
    });
    operators.push({ label: o.label, address: o.address, tripwireOptOut: o.tripwireOptOut ?? false, limits, destinations, cosignedDestinations });
  });

  // An approver is a second key on separate infrastructure: the vault refuses one that is also an operator.
  const approvers = unique(file.approvers ?? [], "approvers", "approver", issues);
  approvers.forEach((approver, i) => {
    const operator = seenOperators.get(approver);
    if (operator !== undefined) issues.push({ path: at("approvers", i), message: `is operators[${operator}] (${file.operators[operator].label}): an approver must not be an operator` });
  });

  if (issues.length) throw new InvalidConfigError(issues, options.source);
  return {
    name: file.name,
    salt: file.salt ?? "",
    admin: file.admin,
    guardians,
    approvers,
    recovery: file.recovery,
    window: file.window,
    changeDelay: file.changeDelay,
    withdrawalDelay: file.withdrawalDelay,
    tripwire: { maxCount: file.tripwire.maxCount, period: file.tripwire.period },
    tokens,
    operators,
  };
}

/** A cap or instant limit: base units that are a whole number of the token's units and fit 36 bits of units. */
function limitAmount(value: string, token: { decimals: number; unitDecimals: number }, symbol: string, path: string, issues: ConfigIssue[]): bigint | undefined {
  const base = amountOf(value, token.decimals, path, issues);
  if (base === undefined) return undefined;
  const unit = 10n ** BigInt(token.unitDecimals);
  if (base % unit !== 0n) {
    issues.push({ path, message: `must be a whole number of units (unitDecimals ${token.unitDecimals}: 1 unit = ${unitText(unit, token.decimals)} ${symbol}), got ${value}` });
    return undefined;
  }
  if (base / unit > AMOUNT_MASK) {
    issues.push({ path, message: `too large for unitDecimals ${token.unitDecimals}: at most ${unitText(AMOUNT_MASK * unit, token.decimals)} ${symbol} (2^36 - 1 units); raise unitDecimals` });
    return undefined;
  }
  return base;
}

function unitText(baseUnits: bigint, decimals: number): string {
  const s = baseUnits.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals);
  const fraction = s.slice(s.length - decimals).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

function unique(addresses: readonly string[], path: string, what: string, issues: ConfigIssue[]): string[] {
  const seen = new Map<string, number>();
  addresses.forEach((a, i) => {
    const prior = seen.get(a);
    if (prior !== undefined) issues.push({ path: at(path, i), message: `same ${what} as ${path}[${prior}]` });
    seen.set(a, i);
  });
  return [...addresses];
}

// ---------------------------------------------------------------------------------------------
// Mapping to the vault
// ---------------------------------------------------------------------------------------------

/** The constructor argument for a validated config, in the config's order (the order is part of the init code). */
export function toInitConfig(config: VaultConfig): InitConfig {
  return {
    admin: config.admin,
    guardians: [...config.guardians],
    recovery: config.recovery,
    window: config.window,
    changeDelay: config.changeDelay,
    withdrawalDelay: config.withdrawalDelay,
    tripwireMaxCount: config.tripwire.maxCount,
    tripwirePeriod: config.tripwire.period,
    tokens: config.tokens.map((t) => ({ token: t.token, unitDecimals: t.unitDecimals, vaultCap: t.vaultCap })),
    limits: config.operators.flatMap((o) =>
      o.limits.map((l) => ({ operator: o.address, token: l.token, cap: l.cap, instantLimit: l.instantLimit, queueCap: l.queueCap })),
    ),
    destinations: config.operators.flatMap((o) => o.destinations.map((d) => ({ operator: o.address, destination: d.address }))),
    tripwireOptOuts: config.operators.filter((o) => o.tripwireOptOut).map((o) => o.address),
  };
}

const INIT_CONFIG_TYPE =
  "tuple(address admin,address[] guardians,address recovery,uint32 window,uint32 changeDelay,uint32 withdrawalDelay," +
  "uint8 tripwireMaxCount,uint32 tripwirePeriod,tuple(address token,uint8 unitDecimals,uint256 vaultCap)[] tokens," +
  "tuple(address operator,address token,uint256 cap,uint256 instantLimit,uint256 queueCap)[] limits," +
  "tuple(address operator,address destination)[] destinations,address[] tripwireOptOuts)";

/** The ABI-encoded constructor arguments: what follows the vault's creation code in its init code. */
export function encodeInitConfig(init: InitConfig): string {
  return AbiCoder.defaultAbiCoder().encode([INIT_CONFIG_TYPE], [init]);
}

/**
 * The salt given to the factory for a config: keccak256(abi.encode(name, salt)). The factory mixes in the
 * config hash (`configHash`) for CREATE2, so the address commits to the whole config as well.
 */
export function deploymentSalt(config: Pick<VaultConfig, "name" | "salt">): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "string"], [config.name, config.salt]));
}

/** Names for the addresses a config mentions (operators, destinations, roles), for printing. */
export function configLabels(config: VaultConfig): Map<string, string> {
  const labels = new Map<string, string>();
  labels.set(config.admin, "admin");
  labels.set(config.recovery, "recovery");
  config.guardians.forEach((g, i) => labels.set(g, config.guardians.length === 1 ? "guardian" : `guardian ${i + 1}`));
  config.approvers.forEach((x, i) => labels.set(x, config.approvers.length === 1 ? "approver" : `approver ${i + 1}`));
  for (const o of config.operators) {
    for (const d of [...o.destinations, ...o.cosignedDestinations]) if (!labels.has(d.address)) labels.set(d.address, d.label);
  }
  for (const o of config.operators) labels.set(o.address, o.label);
  for (const t of config.tokens) labels.set(t.token, t.symbol);
  return labels;
}
