/**
 * Loading `pkcs11js` (an optional peer dependency) and PKCS#11 modules, once per process. Kept apart from
 * pkcs11.ts so that the signer's public declarations do not mention `pkcs11js` types: a program that
 * does not install it still type-checks against `sdk/signers`. Not part of the public surface.
 */
import type * as Pkcs11js from "pkcs11js";
import { Pkcs11Error, Pkcs11ModuleNotFoundError, SignerDependencyMissingError } from "./errors";

export type Lib = typeof Pkcs11js;
export type Module = Pkcs11js.PKCS11;
export type Handle = Buffer;
export type Template = Pkcs11js.Template;

let lib: Lib | undefined;
const modules = new Map<string, Module>();

export async function loadLib(): Promise<Lib> {
  if (lib) return lib;
  try {
    const imported = (await import("pkcs11js")) as Lib & { default?: Lib };
    lib = imported.default ?? imported;
  } catch (e) {
    throw new SignerDependencyMissingError("pkcs11js", e);
  }
  return lib;
}

/**
 * The module at `path`, loaded and initialized once per process and shared by every signer (a PKCS#11
 * library is initialized once per application; its login state is per token).
 */
export async function loadPkcs11Module(path: string): Promise<Module> {
  const p = await loadLib();
  const known = modules.get(path);
  if (known) return known;
  const m = new p.PKCS11();
  try {
    m.load(path);
  } catch (e) {
    throw new Pkcs11ModuleNotFoundError(path, e);
  }
  try {
    m.C_Initialize();
  } catch (e) {
    if (ckrOf(e) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") throw new Pkcs11Error(`cannot initialize the PKCS#11 module ${path}: ${ckrOf(e) ?? String(e)}`, { cause: e, ckr: ckrOf(e) });
  }
  modules.set(path, m);
  return m;
}

/** The `CKR_...` name of a PKCS#11 error, if it is one. */
export function ckrOf(e: unknown): string | undefined {
  return e instanceof Error ? /CKR_[A-Z0-9_]+/.exec(e.message)?.[0] : undefined;
}

