#!/usr/bin/env node
// Runs the Node test files (`*.test.ts`) under the given folders (default: src and test, without the
// browser tests) with node's own runner and tsx. Node 20 does not expand globs itself, and `node
// --test` with no files passes with zero tests, so this lists the files and fails on none.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith('--'));
const dirs = roots.length > 0 ? roots : ['src', 'test'];
const skip = roots.length > 0 ? [] : ['test/browser', 'test/e2e'];

function walk(dir, out) {
  if (dir.endsWith('.test.ts')) {
    out.push(dir);
    return out;
  }
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (name === 'node_modules' || skip.some((s) => relative(s, path) === '' || !relative(s, path).startsWith('..'))) continue;
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts') && !path.includes('/components/')) out.push(path);
  }
  return out;
}

const files = dirs.flatMap((d) => walk(d, [])).sort();
if (files.length === 0) {
  console.error(`run-node-tests: no *.test.ts files under ${dirs.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
child.on('close', (code) => {
  const tests = /ℹ tests (\d+)/.exec(out);
  const pass = /ℹ pass (\d+)/.exec(out);
  const fail = /ℹ fail (\d+)/.exec(out);
  const n = tests ? Number(tests[1]) : 0;
  if (n === 0) {
    console.error('run-node-tests: zero tests ran');
    process.exit(1);
  }
  console.log(`node tests: ${pass ? pass[1] : 0} passed, ${fail ? fail[1] : 0} failed`);
  process.exit(code ?? 1);
});
