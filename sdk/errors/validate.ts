/**
 * Input checks that run before any network call. Each returns the normalized value or throws
 * `InvalidInputError` naming the argument.
 */
import { ZeroAddress, getAddress, isAddress } from "ethers";
import { InvalidInputError } from "./base";

const MAX_UINT256 = (1n << 256n) - 1n;

/** A checksummed address; the zero address is rejected unless `allowZero`. */
export function requireAddress(value: unknown, field: string, options: { allowZero?: boolean } = {}): string {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) && !isAddress(value)) {
    // Mixed case carries an EIP-55 checksum; a wrong one usually means a mistyped character.
    throw new InvalidInputError(field, `${value} has a wrong EIP-55 checksum (its mixed case does not match): a character is probably mistyped; copy the address again`);
  }
  if (typeof value !== "string" || !isAddress(value)) {
    throw new InvalidInputError(field, `expected a 20-byte hex address, got ${describe(value)}`);
  }
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    throw new InvalidInputError(field, `bad checksum in ${value}`);
  }
  if (address === ZeroAddress && !options.allowZero) throw new InvalidInputError(field, "the zero address is not allowed");
  return address;
}

/** An unsigned integer of at most `bits` bits, given as a bigint. */
export function requireUint(value: unknown, field: string, bits = 256): bigint {
  if (typeof value !== "bigint") throw new InvalidInputError(field, `expected a bigint, got ${describe(value)}`);
  if (value < 0n) throw new InvalidInputError(field, `must not be negative, got ${value}`);
  const max = bits === 256 ? MAX_UINT256 : (1n << BigInt(bits)) - 1n;
  if (value > max) throw new InvalidInputError(field, `must fit ${bits} bits, got ${value}`);
  return value;
}

/** A positive amount in base units, given as a bigint. */
export function requireAmount(value: unknown, field = "amount"): bigint {
  const amount = requireUint(value, field);
  if (amount === 0n) throw new InvalidInputError(field, "must be greater than zero");
  return amount;
}

/** An integer of at most `bits` bits given as a number (enum-like fields such as unitDecimals). */
export function requireSmallInt(value: unknown, field: string, bits: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new InvalidInputError(field, `expected an integer in [0, ${2 ** bits - 1}], got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
