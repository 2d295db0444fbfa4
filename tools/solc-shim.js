#!/usr/bin/env node
// A `solc`-compatible command line over solc-js, for py-solc-x and brownie (no native solc exists here).
// It answers `--version` like native solc and compiles `--standard-json` input read from stdin.
// Imports are read from disk: relative to the working directory, to any --base-path, --include-path or
// --allow-paths given, and to this project's node_modules (for @openzeppelin/...).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('solc-shim: only --version and --standard-json are supported\n');
  process.exit(2);
}

function optionValues(name) {
  const values = [];
  args.forEach((arg, i) => {
    if (arg === name && i + 1 < args.length) values.push(...args[i + 1].split(','));
    else if (arg.startsWith(`${name}=`)) values.push(...arg.slice(name.length + 1).split(','));
  });
  return values;
}

const roots = [
  process.cwd(),
  ...optionValues('--base-path'),
  ...optionValues('--include-path'),
  ...optionValues('--allow-paths'),
  path.join(__dirname, '..', 'node_modules'),
];

function findImport(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((root) => path.resolve(root, importPath));
  for (const candidate of candidates) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found: ${importPath} (looked in ${roots.join(', ')})` };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImport }));
