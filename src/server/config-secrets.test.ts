import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveSecretRefs } from './config.ts';

const sources = { env: { TB_PASSWORD: 'from-env' }, readFile: (p: string) => { if (p === '/run/secrets/k') return 'from-file\n'; throw new Error('ENOENT'); } };

test('secret references resolve from the environment and files, anywhere in the configuration', () => {
  const raw = { secret: { env: 'TB_PASSWORD' }, providers: [{ id: 'tbank', password: { file: '/run/secrets/k' } }], port: 1 };
  assert.deepEqual(resolveSecretRefs(raw, sources), { secret: 'from-env', providers: [{ id: 'tbank', password: 'from-file' }], port: 1 });
});

test('a missing variable or unreadable file names the key and not the value', () => {
  assert.throws(() => resolveSecretRefs({ providers: [{ password: { env: 'NOPE' } }] }, sources),
    (e: unknown) => e instanceof ConfigError && e.key === 'providers.0.password' && /NOPE/.test(e.message));
  assert.throws(() => resolveSecretRefs({ merchants: [{ secret: { file: '/missing' } }] }, sources),
    (e: unknown) => e instanceof ConfigError && e.key === 'merchants.0.secret');
});

test('objects with other keys are left alone for the schema to judge', () => {
  const raw = { dispatcher: { inProcess: false }, x: { env: 'TB_PASSWORD', other: 1 } };
  assert.deepEqual(resolveSecretRefs(raw, sources), raw);
});
