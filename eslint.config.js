import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports point one way: bot -> handlers -> core, ops; src/main.ts wires everything.
const upward = { group: ['**/bot/**', '**/handlers/**', '**/http/**', '**/wiring/**', '@slack/*', 'discord.js'], message: 'core and ops never import bot, handlers, http, wiring or chat SDKs' };
const chatFacingCore = {
  group: ['**/core/reply', '**/core/reply.js', '**/core/chat', '**/core/chat.js', '**/core/outbox*', '**/core/outbox/**', '**/core/alerts/render*'],
  message: 'ops knows nothing of chat: it returns reports, handlers turn them into replies',
};
const opsFromCore = { group: ['**/ops/**'], message: 'core never imports ops: take what you need through a port or a constructor argument' };
const fromHandlers = { group: ['**/bot/**', '**/http/**', '**/wiring/**', '@slack/*', 'discord.js'], message: 'handlers never import Slack, Discord or bot code' };
const mainModule = { group: ['**/main', '**/main.js'], message: 'src/main.ts is the composition root: only src/cli.ts (and tests) import it' };

function layerRules() {
  const restrict = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  return [
    restrict(['src/**/*.ts'], mainModule),
    restrict(['src/core/**/*.ts'], upward, opsFromCore, mainModule),
    restrict(['src/ops/**/*.ts'], upward, chatFacingCore, mainModule),
    restrict(['src/handlers/**/*.ts'], fromHandlers, mainModule),
    { files: ['src/cli.ts'], rules: { 'no-restricted-imports': 'off' } },
    {
      // Config is parsed once at the composition root; services get values through their constructors.
      files: ['src/**/*.ts'],
      ignores: ['src/config/**', 'src/main.ts', 'src/cli.ts'],
      rules: {
        'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'process.env is read only in src/config/**, src/main.ts and src/cli.ts: pass the value in' }],
        // no-restricted-properties also catches `const { env } = process` and `process['env']`; this catches `process[name]`.
        'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][computed=true][property.type!='Literal']", message: 'process.env is read only in src/config/**, src/main.ts and src/cli.ts: pass the value in' }],
      },
    },
  ];
}

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
  ...layerRules(),
);
