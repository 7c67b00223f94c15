import { expect } from "chai";
import fs from "fs";
import path from "path";
import { renderGasTable, TABLE_END, TABLE_START, withGasTable, type ResultsFile } from "../bench/readme";

const ROOT = path.join(__dirname, "..");

describe("README gas table", () => {
  it("is exactly what bench/results.json renders (npm run bench writes both)", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const results = JSON.parse(fs.readFileSync(path.join(ROOT, "bench/results.json"), "utf8")) as ResultsFile;
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start).to.be.greaterThan(0);
    expect(end).to.be.greaterThan(start);
    expect(readme.slice(start + TABLE_START.length, end).trim()).to.equal(renderGasTable(results));
  });

  it("replaces only what lies between the markers, and refuses a README without them", () => {
    const text = `a\n${TABLE_START}\nold\n${TABLE_END}\nb`;
    expect(withGasTable(text, "new")).to.equal(`a\n${TABLE_START}\nnew\n${TABLE_END}\nb`);
    expect(() => withGasTable("no markers", "x")).to.throw(/markers/);
  });
});
