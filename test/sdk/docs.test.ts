import { expect } from "chai";
import fs from "fs";
import path from "path";
import ts from "typescript";

const ROOT = path.join(__dirname, "../..");
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), "utf8");

/** The SDK's folders, each a subpath export of the package. */
const FOLDERS = ["clients", "errors", "rules", "monitor", "safe", "deploy", "format", "signers", "abi"];

interface SdkPackageJson {
  name: string;
  version: string;
  main: string;
  types: string;
  files: string[];
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>;
  typesVersions: { "*": Record<string, string[]> };
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
  dependencies?: Record<string, string>;
  scripts: Record<string, string>;
}

describe("SDK docs and packaging", () => {
  it("the README's SDK section sits before Layout and quotes the bot example verbatim", () => {
    const readme = read("README.md");
    const sdk = readme.indexOf("\n## SDK\n");
    const layout = readme.indexOf("\n## Layout\n");
    expect(sdk).to.be.greaterThan(0);
    expect(layout).to.be.greaterThan(sdk);
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(sdk, layout));
    expect(block?.[1]).to.equal(read("sdk/examples/bot.ts"));
  });

  it("sdk/ is a workspace package: ESM and CommonJS builds with types for the root and every folder, ethers as a peer", () => {
    const pkg = JSON.parse(read("sdk/package.json")) as SdkPackageJson;
    expect(pkg.name).to.equal("@guarded-vault/sdk");
    expect(pkg.version).to.match(/^\d+\.\d+\.\d+/);
    expect(pkg.files).to.deep.equal(["dist", "README.md"]);
    expect(pkg.peerDependencies).to.have.keys(["ethers", "pkcs11js", "@aws-sdk/client-kms"]);
    expect(pkg.peerDependenciesMeta).to.deep.equal({ pkcs11js: { optional: true }, "@aws-sdk/client-kms": { optional: true } });
    expect(pkg.peerDependencies.ethers).to.match(/^\^6\./);
    expect(pkg.dependencies ?? {}).to.deep.equal({});
    expect(pkg.scripts.prepack).to.equal("npm run build");
    for (const [subpath, dir] of [[".", ""], ...FOLDERS.map((f) => [`./${f}`, `${f}/`])]) {
      expect(pkg.exports[subpath], subpath).to.deep.equal({
        import: { types: `./dist/esm/${dir}index.d.ts`, default: `./dist/esm/${dir}index.js` },
        require: { types: `./dist/cjs/${dir}index.d.ts`, default: `./dist/cjs/${dir}index.js` },
      });
      expect(fs.existsSync(path.join(ROOT, "sdk", dir, "index.ts")), `sdk/${dir}index.ts`).to.equal(true);
    }
    for (const f of FOLDERS) expect(pkg.typesVersions["*"][f]).to.deep.equal([`./dist/cjs/${f}/index.d.ts`]);
    expect(Object.keys(pkg.exports).sort()).to.deep.equal([".", ...FOLDERS.map((f) => `./${f}`), "./package.json"].sort());
    const root = JSON.parse(read("package.json")) as { workspaces: string[]; scripts: Record<string, string> };
    expect(root.workspaces).to.deep.equal(["sdk"]);
    expect(root.scripts["build:sdk"]).to.equal("npm run --silent build --workspace @guarded-vault/sdk");
    expect(root.scripts["gen:sdk-abi"]).to.match(/scripts\/gen-sdk-abi\.ts$/);
    expect(read(".gitignore")).to.match(/^dist\/$/m);
  });

  it("code in the repository imports the SDK's sources by file, never the sdk/ folder itself (that is the package: its build)", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && !["node_modules", "dist"].includes(e.name)) walk(p);
        else if (/\.(ts|js|cjs|mjs)$/.test(e.name)) files.push(p);
      }
    };
    for (const dir of ["test", "tasks", "scripts", "bench", "monitor", "console"]) if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
    walk(path.join(ROOT, "sdk"));
    expect(files.length).to.be.greaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      const specs = [...ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName), ...[...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])];
      for (const spec of specs) {
        if (spec.startsWith(".") && path.resolve(path.dirname(file), spec) === path.join(ROOT, "sdk")) offenders.push(`${path.relative(ROOT, file)}: "${spec}" (write "${spec}/index")`);
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
