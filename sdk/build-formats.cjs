// Marks the two builds' module formats, so that Node and TypeScript read dist/esm as ES modules and
// dist/cjs as CommonJS whatever the consumer's own package.json says.
const fs = require("fs");
const path = require("path");

for (const [dir, type] of [["esm", "module"], ["cjs", "commonjs"]]) {
  fs.writeFileSync(path.join(__dirname, "dist", dir, "package.json"), `${JSON.stringify({ type })}\n`);
}
