import { expect } from "chai";
import fs from "fs";
import path from "path";

const ROOT = path.join(__dirname, "../..");
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), "utf8");

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

  it("package.json exports the SDK's build with its declarations and has the SDK scripts", () => {
    const pkg = JSON.parse(read("package.json")) as { exports: Record<string, { types: string; default: string }>; scripts: Record<string, string> };
    expect(pkg.exports["./sdk"]).to.deep.equal({ types: "./dist/sdk/index.d.ts", default: "./dist/sdk/index.js" });
    expect(pkg.scripts["build:sdk"]).to.equal("tsc -p sdk/tsconfig.json");
    expect(pkg.scripts["check:examples"]).to.equal("tsc -p sdk/examples/tsconfig.json");
    const tsconfig = JSON.parse(read("sdk/tsconfig.json")) as { compilerOptions: { outDir: string; declaration: boolean; strict: boolean; rootDir: string } };
    expect(tsconfig.compilerOptions).to.include({ outDir: "../dist", rootDir: "..", declaration: true, strict: true });
    expect(read(".gitignore")).to.match(/^dist\/$/m);
  });
});
