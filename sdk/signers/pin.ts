/**
 * Where a PIN comes from: an environment variable or a file (a mounted secret), never a command-line
 * argument (visible in `ps` and shell history). It is read when a session logs in, kept only for that
 * call, and never appears in a message.
 */
import { readFileSync } from "fs";
import { PinUnavailableError } from "./errors";

export type PinSource =
  /** The name of an environment variable holding the PIN. */
  | { readonly env: string }
  /** The path of a file holding the PIN (one trailing newline is ignored). */
  | { readonly file: string };

/** Reads the PIN now. Throws `PinUnavailableError` (naming the variable or file, never the value). */
export function readPin(source: PinSource): string {
  if ("env" in source) {
    const pin = process.env[source.env];
    if (pin === undefined || pin === "") throw new PinUnavailableError(`the environment variable ${source.env} (the PIN) is not set`);
    return pin;
  }
  let text: string;
  try {
    text = readFileSync(source.file, "utf8");
  } catch (e) {
    throw new PinUnavailableError(`cannot read the PIN file ${source.file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  const pin = text.replace(/\r?\n$/, "");
  if (pin === "") throw new PinUnavailableError(`the PIN file ${source.file} is empty`);
  return pin;
}

/** Says where the PIN comes from, for messages. */
export const describePinSource = (source: PinSource): string => ("env" in source ? `environment variable ${source.env}` : `file ${source.file}`);
