// ESLint: typescript-eslint for src/, plain CommonJS rules for tests, benches and scripts.
// Layout is Prettier's job (.prettierrc.json); no rule here checks it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const unused = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' };

export default defineConfig(
  { ignores: ['nodes/', '.demo/', '.test-tmp/', 'test/e2e/screenshots/'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Type-aware rules for the mistakes that crash or stall a Node-RED runtime: a rejected promise nobody handles.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', unused],
      // `const node = this` is how Node-RED node constructors reach the node from callbacks.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
    rules: { 'no-unused-vars': ['error', unused] },
  },
  {
    // Tests feed numbers beyond 2^53 on purpose.
    files: ['test/**/*.js'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // Browser tests pass functions to page.evaluate; they run in the editor page, where RED and jQuery are globals.
    files: ['test/e2e/**/*.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
);
