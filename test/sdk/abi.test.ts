import { expect } from "chai";
import fs from "fs";
import path from "path";
import ts from "typescript";
import { generateSdkAbi } from "../../scripts/gen-sdk-abi";

const ROOT = path.join(__dirname, "../..");

/** Every .ts file of the SDK package (not its examples or build output). */
function sdkSources(dir = path.join(ROOT, "sdk")): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["examples", "dist", "node_modules"].includes(entry.name)) out.push(...sdkSources(p));
    } else if (entry.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("SDK ABI and run-time dependencies", () => {
  it("the ABIs, creation code, contract types and error classes in sdk/ match the compiled contracts (npm run gen:sdk-abi)", () => {
    const generated = generateSdkAbi();
    expect(generated.size).to.be.greaterThan(8);
    for (const [file, text] of generated) {
      const committed = fs.readFileSync(path.join(ROOT, file), "utf8");
      expect(committed === text, `${file} is stale: run npm run gen:sdk-abi`).to.equal(true);
    }
  });

  it("imports nothing at run time but ethers and its own files (no Hardhat, TypeChain, forge or JSON artifacts)", () => {
    const files = sdkSources();
    expect(files.length).to.be.greaterThan(30);
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
        const own = spec.startsWith(".") && !spec.endsWith(".json") && path.resolve(path.dirname(file), spec).startsWith(path.join(ROOT, "sdk"));
        // Signers alone use Node's crypto and fs, and load their key store's client (optional peers) when opened.
        const signer = path.relative(ROOT, file).startsWith("sdk/signers/") && ["crypto", "fs", "pkcs11js", "@aws-sdk/client-kms"].includes(spec);
        const ok = spec === "ethers" || own || signer;
        expect(ok, `${path.relative(ROOT, file)} imports ${spec}`).to.equal(true);
      }
    }
  });
});
