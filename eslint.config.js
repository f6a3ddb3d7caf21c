import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'data/', 'node_modules/', '.test-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // Imports point one way: bot -> handlers -> core, ops. core and ops never reach up.
    files: ['src/core/**/*.ts', 'src/ops/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/bot/**', '**/handlers/**', '**/http/**', '@slack/*', 'discord.js'], message: 'core and ops never import bot, handlers, http or chat SDKs' },
      ] }],
    },
  },
  {
    files: ['src/ops/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/bot/**', '**/handlers/**', '**/http/**', '@slack/*', 'discord.js'], message: 'ops knows nothing of chat' },
      ] }],
    },
  },
  {
    files: ['src/handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/bot/**', '**/http/**', '@slack/*', 'discord.js'], message: 'handlers never import Slack, Discord or bot code' },
      ] }],
    },
  },
);
