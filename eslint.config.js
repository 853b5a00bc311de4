// The house style as lint rules (shared/STYLE.md). Syntax-level typescript-eslint only: type-aware
// rules double the time of `npm test` on a 2-core machine, and `tsc --noEmit` already runs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.cache/**', 'coverage/**', 'custom-elements.json', 'test/browser/fixtures/package/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: {
        // Node and the browser: the code is both (element, gateway, tests).
        console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        queueMicrotask: 'readonly', structuredClone: 'readonly', performance: 'readonly', fetch: 'readonly', Request: 'readonly',
        Response: 'readonly', Headers: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly',
        TextDecoder: 'readonly', crypto: 'readonly', atob: 'readonly', btoa: 'readonly', window: 'readonly', document: 'readonly',
        navigator: 'readonly', location: 'readonly', customElements: 'readonly', HTMLElement: 'readonly', Event: 'readonly',
        CustomEvent: 'readonly', EventSource: 'readonly', MutationObserver: 'readonly', ReadableStream: 'readonly', Blob: 'readonly',
        FormData: 'readonly', Intl: 'readonly', NodeJS: 'readonly',
      },
    },
    rules: {
      // STYLE.md: `unknown` over `any`; no `enum`, no namespaces.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-namespace': 'error',
      'no-restricted-syntax': ['error',
        { selector: 'TSEnumDeclaration', message: 'No enum (STYLE.md): use a union of string literals.' }],
      // Secrets and amounts are compared on purpose; everything else with ===.
      eqeqeq: ['error', 'always'],
      // A `let` assigned once but read first by a closure (a handler made before what it serves) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-var': 'error',
      // Unused names are a defect; a leading underscore marks one kept on purpose (a callback's shape).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read JSON answers of many shapes and assert on them field by field: the assertion is
    // the type check there, and a declared type per answer would only repeat it.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // STYLE.md "three things we do not do": no hidden globals in time-, money- or signature-sensitive
    // code. The gateway and the wire take the clock, randomness, fetch and the environment injected;
    // only the composition roots (bootstrap, the commands) and the emulators read them.
    files: ['src/server/**/*.ts', 'src/protocol/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/server/bootstrap.ts', 'src/server/providers/*/emulator*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Inject randomness (STYLE.md).' },
        { object: 'process', property: 'env', message: 'Read the environment in the composition root and pass it in (STYLE.md).' }],
    },
  },
);
