/**
 * How a vault task ends on the command line: one clear line (or one JSON document with `--json`) and an
 * exit code that says what happened, on any machine.
 *
 * Hardhat prints a task's error itself, and on a machine it takes for CI (the `CI` variable, or any Linux
 * box without `DISPLAY`: every headless server where bots and responders run) it adds the whole error
 * object, with its stack and the stack of its `parent`, so the message shows three times. The vault tasks
 * therefore report their own errors when they are the task given on the command line: they print the
 * line, set `process.exitCode` (Hardhat's CLI exits with it) and return normally. Run in-process
 * (`hre.run`, tests, scripts), they throw instead, as before: a `HardhatPluginError` whose `parent` is the
 * SDK's typed error.
 *
 * | exit code | meaning |
 * | --- | --- |
 * | 0 | done |
 * | 1 | error: the node, the network or a transaction failed, or something unexpected (state may have changed) |
 * | 2 | bad input (argument, config or rules file): nothing sent |
 * | 3 | refused, nothing sent: the preflight says the call would revert or trip the tripwire, or it must be queued |
 * | 4 | tripped: a transaction was sent (`--force`) and the tripwire fired; the operator is suspended |
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { CLIArgumentType, HardhatRuntimeEnvironment } from "hardhat/types";
import { InvalidInputError, VaultRevertError, VaultSdkError } from "../sdk/errors/base";

export const PLUGIN_NAME = "guarded-treasury-vault";

/** The exit codes of the vault tasks (see the table above and in the README). */
export const EXIT = {
  done: 0,
  error: 1,
  invalidInput: 2,
  refused: 3,
  tripped: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
export type Outcome = keyof typeof EXIT;

/**
 * The task refused to send: the preflight predicts a revert or a trip, or the amount must be queued.
 * `cause` is the SDK's typed error when there is one (e.g. `DestinationNotApprovedError` from the preflight).
 */
export class TaskRefusal extends VaultSdkError {
  /** When the same call would pass, if the preflight knows (unix seconds). */
  readonly retryAt: bigint | null;
  constructor(message: string, options: { cause?: unknown; retryAt?: bigint | null } = {}) {
    super(message, { cause: options.cause });
    this.retryAt = options.retryAt ?? null;
  }
}

/** A bad argument found by a task itself (a required parameter missing, a bad file): exit code 2. */
export const missing = (field: string, hint: string): InvalidInputError => new InvalidInputError(field, `missing: ${hint}`);

/** What an error means for the exit code. */
export function outcomeOf(e: unknown): Exclude<Outcome, "done" | "tripped"> {
  if (e instanceof TaskRefusal) return "refused";
  if (e instanceof VaultRevertError && e.source === "preflight") return "refused";
  if (e instanceof InvalidInputError) return "invalidInput";
  if (e instanceof VaultSdkError && INVALID_INPUT_CLASSES.has(e.name)) return "invalidInput";
  return "error";
}

/** SDK errors, by class name, that mean the input (a config or rules file) is wrong and nothing was sent. */
const INVALID_INPUT_CLASSES = new Set(["InvalidConfigError", "ResponderRulesError", "ImmutableSettingError", "MissingRoleError", "TokenCheckError"]);

/** The error as one JSON-able object (what `--json` prints as `{ "error": ... }`). */
export function errorJson(e: unknown, outcome: Outcome): Record<string, unknown> {
  const err = e instanceof Error ? e : new Error(String(e));
  const typed = e instanceof TaskRefusal && e.cause instanceof VaultSdkError ? e.cause : err;
  const out: Record<string, unknown> = { outcome, exitCode: EXIT[outcome], type: typed.name, message: oneLine(err.message) };
  if (typed instanceof InvalidInputError) out.field = typed.field;
  if (typed instanceof VaultRevertError) out.vaultError = { name: typed.errorName, args: typed.args, source: typed.source };
  if (e instanceof TaskRefusal && e.retryAt !== null) out.retryAt = e.retryAt;
  const issues = (typed as { issues?: unknown; problems?: unknown }).issues ?? (typed as { problems?: unknown }).problems;
  if (Array.isArray(issues)) out.issues = issues;
  return out;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, "; ");

const jsonValue = (_key: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v);

/** JSON with bigints as decimal strings. */
export const toJson = (value: unknown): string => JSON.stringify(value, jsonValue, 2);

/** The same on one line (for streams of JSON objects). */
export const toJsonLine = (value: unknown): string => JSON.stringify(value, jsonValue);

const HARDHAT_CLI = /[\\/]hardhat[\\/]internal[\\/]cli[\\/](bootstrap|cli)\.js$/;
let depth = 0;

/** Whether `task` is the one the Hardhat command line was asked to run (not a nested `hre.run`, not a test). */
function isCommandLineTask(task: string): boolean {
  return depth === 0 && HARDHAT_CLI.test(require.main?.filename ?? "") && process.argv.slice(2).includes(task);
}

export interface ActionOptions<R> {
  /** Parameters Hardhat sees as optional (so that a missing one is reported here, in one line) but the task needs. */
  readonly required?: readonly string[];
  /** The outcome of a task that returned normally (default: done), e.g. `tripped` for a forced withdrawal that tripped. */
  readonly outcome?: (result: R) => Outcome;
}

/**
 * A task action with the vault tasks' error handling. On the command line: errors become one line on
 * stderr (with `--json`, also `{ "error": ... }` on stdout) and `process.exitCode` says what happened;
 * `--show-stack-traces` adds the stack of an unexpected error. In-process: SDK errors are thrown as
 * `HardhatPluginError`s with the typed error as `parent` (for a refusal: the preflight's typed error) and
 * `exitCode` set.
 */
export function action<A extends object, R>(task: string, fn: (args: A, hre: HardhatRuntimeEnvironment) => Promise<R>, options: ActionOptions<R> = {}) {
  return async (args: A, hre: HardhatRuntimeEnvironment): Promise<R | undefined> => {
    const cli = isCommandLineTask(task);
    depth++;
    try {
      for (const name of options.required ?? []) {
        const value = (args as Record<string, unknown>)[name];
        if (value === undefined || value === "") throw missing(name, `pass --${kebab(name)} (npx hardhat help ${task} lists the parameters)`);
      }
      const result = await fn(args, hre);
      const outcome = options.outcome?.(result) ?? "done";
      if (cli) process.exitCode = EXIT[outcome];
      else if (outcome !== "done") Object.defineProperty(result as object, "exitCode", { value: EXIT[outcome], enumerable: false, configurable: true });
      return result;
    } catch (e) {
      const outcome = outcomeOf(e);
      if (cli) {
        reportOnCommandLine(task, e, outcome, (args as { json?: boolean }).json === true, hre.hardhatArguments.showStackTraces);
        return undefined;
      }
      if (e instanceof VaultSdkError) {
        const parent = e instanceof TaskRefusal && e.cause instanceof Error ? e.cause : e;
        const wrapped = new HardhatPluginError(PLUGIN_NAME, e instanceof TaskRefusal || e instanceof InvalidInputError ? e.message : `${e.name}: ${e.message}`, parent);
        Object.assign(wrapped, { exitCode: EXIT[outcome] });
        throw wrapped;
      }
      throw e;
    } finally {
      depth--;
    }
  };
}

function reportOnCommandLine(task: string, e: unknown, outcome: Outcome, json: boolean, stack: boolean): void {
  process.exitCode = EXIT[outcome];
  const err = e instanceof Error ? e : new Error(String(e));
  const known = err instanceof VaultSdkError;
  const label = outcome === "refused" ? "refused, nothing sent: " : outcome === "invalidInput" ? "" : "error: ";
  const plain = err instanceof InvalidInputError || err instanceof TaskRefusal || (err instanceof VaultRevertError && err.source === "preflight");
  const what = plain ? err.message : known ? `${err.name}: ${err.message}` : err.message || String(e);
  const lines = what.split("\n");
  process.stderr.write(`${task}: ${label}${lines[0]}\n`);
  // A config or rules file with several problems lists them one per line after the summary.
  for (const line of lines.slice(1)) process.stderr.write(`  ${line.trim()}\n`);
  if (json) process.stdout.write(toJson({ error: errorJson(e, outcome) }) + "\n");
  if (!known && stack && err.stack) process.stderr.write(`${err.stack}\n`);
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * An integer parameter whose bad values are reported by the task (one line, exit code 2) rather than by
 * Hardhat's argument parser: the string passes through and `toInt` checks it.
 */
export const intParam: CLIArgumentType<number | string> = {
  name: "int",
  parse: (_name, value) => (/^\d+$/.test(value) ? Number(value) : value),
  validate: () => undefined,
};

/** A non-negative safe integer from a command-line or in-process argument; undefined stays undefined. */
export function toInt(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  throw new InvalidInputError(field, `expected a non-negative integer, got ${JSON.stringify(value)}`);
}
