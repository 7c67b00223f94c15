import { expect } from "chai";
import { execFileSync } from "child_process";
import path from "path";

// Bots without an HSM must not pay for one: neither the SDK's root nor its signers entry point may load
// `pkcs11js` (a native addon) or `@aws-sdk/client-kms`; each is loaded only when a signer of its kind
// opens. Checked in a fresh Node process, since this test process has loaded both already.
describe("signer dependencies stay optional", () => {
  it("loads neither pkcs11js nor @aws-sdk/client-kms for the SDK root or the signers entry point", () => {
    const root = path.resolve(__dirname, "../..");
    const script = `
      require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
      const loaded = () => Object.keys(require.cache).filter((f) => /node_modules[\\\\/](pkcs11js|@aws-sdk)[\\\\/]/.test(f));
      require("./sdk/index");
      const afterRoot = loaded();
      require("./sdk/signers");
      const afterSigners = loaded();
      console.log(JSON.stringify({ afterRoot, afterSigners }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" }).trim().split("\n").pop()!);
    expect(out).to.deep.equal({ afterRoot: [], afterSigners: [] });
  });
});
