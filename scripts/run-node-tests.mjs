#!/usr/bin/env node
// Runs the Node test files (`*.test.ts`) under the given folders (default: src and test, without the
// browser tests, the end-to-end tests and the package test) with node's own runner and tsx. Node 20 does not expand globs itself, and `node
// --test` with no files passes with zero tests, so this lists the files and fails on none.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith('--'));
const dirs = roots.length > 0 ? roots : ['src', 'test'];
// test/package packs and installs the package (npm test runs it as its own step, before the browser tests).
const skip = roots.length > 0 ? [] : ['test/browser', 'test/e2e', 'test/package'];

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
// Load tests that start several processes (the crash test, the scale-out test) run after the rest,
// one at a time: side by side on a 2-core machine they starve each other past their timeouts.
const HEAVY = /(crash|scale-out|ops-backup)\.test\.ts$/;
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

function run(group, groupConcurrency) {
  return new Promise((resolve) => {
    if (group.length === 0) return resolve({ code: 0, tests: 0, pass: 0, fail: 0 });
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${groupConcurrency}`, '--test-reporter=spec', ...group], {
      // Gateways and workers the tests start as processes log at info by default: a line per
      // request, which load tests would pipe by the megabyte. Tests that read the logs set their own.
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      const count = (name) => Number(new RegExp(`ℹ ${name} (\\d+)`).exec(out)?.[1] ?? 0);
      // A test cut off by its timeout is counted as cancelled, not failed: it failed.
      resolve({ code: code ?? 1, tests: count('tests'), pass: count('pass'), fail: count('fail') + count('cancelled') });
    });
  });
}

const light = await run(files.filter((f) => !HEAVY.test(f)), concurrency);
const heavy = await run(files.filter((f) => HEAVY.test(f)), '1');
const tests = light.tests + heavy.tests;
if (tests === 0) {
  console.error('run-node-tests: zero tests ran');
  process.exit(1);
}
console.log(`node tests: ${light.pass + heavy.pass} passed, ${light.fail + heavy.fail} failed`);
process.exit(light.code || heavy.code);
