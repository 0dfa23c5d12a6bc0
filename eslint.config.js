// ESLint (flat config) with typescript-eslint. Formatting is Prettier's job (eslint-config-prettier
// turns off the rules it owns); import layering and cycles are dependency-cruiser's
// (.dependency-cruiser.cjs). What this file adds on top of the recommended sets is the project's
// own rules from docs/architecture.md: only process entry points end the process or write to the
// terminal.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Process entry points: the CLI and the child processes' main modules. They may exit and write. */
const ENTRY_POINTS = ['src/cli/**', 'src/**/*-process.ts', 'src/**/*-process-worker.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'test/fixtures/stacks/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection: every one must be awaited, returned or voided.
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ENTRY_POINTS,
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only process entry points exit (src/cli, *-process.ts): throw a WsbenchError.' },
        {
          object: 'process',
          property: 'stdout',
          message: 'Library code reports through events; only entry points and ui/ write to the terminal.',
        },
        {
          object: 'process',
          property: 'stderr',
          message: 'Library code reports through events; only entry points and ui/ write to the terminal.',
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // Ink components write through Ink; they may read the terminal's size and streams.
    files: ['src/ui/**'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only process entry points exit.' }] },
  },
  {
    // Tests match ANSI escapes and column layouts on purpose.
    files: ['test/**'],
    rules: { 'no-control-regex': 'off', 'no-regex-spaces': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', console: 'readonly', module: 'writable', require: 'readonly' },
    },
  },
  prettier,
);
