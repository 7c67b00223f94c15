#!/usr/bin/env node
// A `solc` command line for forge, backed by the pinned `solc` npm package (solcjs), so that forge
// builds offline with exactly the compiler Hardhat uses. forge calls a compiler in two ways only:
//   solc --version                       -> it parses the last line, "Version: <semver>"
//   solc [paths options] --standard-json -> standard JSON on stdin, standard JSON on stdout
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);

if (args.includes("--version")) {
  writeAll(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("solc-forge: only --version and --standard-json are supported\n");
  process.exit(1);
}

// forge normally inlines every source, but answer imports it left out from the same roots solc would use.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--base-path" || a === "--include-path") roots.push(path.resolve(args[++i]));
  else if (a.startsWith("--base-path=") || a.startsWith("--include-path=")) roots.push(path.resolve(a.split("=")[1]));
}

function findImports(importPath) {
  for (const root of roots) {
    const file = path.resolve(root, importPath);
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, "utf8");
writeAll(solc.compile(input, { import: findImports }));
process.exit(0);

// stdout is a pipe: a single process.stdout.write followed by exit can cut the output at 64 KiB.
function writeAll(text) {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}
