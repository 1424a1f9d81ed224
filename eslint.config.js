// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer graph of packages/protocol is a contract (docs/style.md §2): a folder imports only
 * from the layers below it. Each entry lists what a layer may NOT import.
 */
const protocolLayers = {
  cbor: ['crypto', 'cose', 'types', 'messages', 'voucher', 'kex', 'session', 'phases', 'serviceinfo', 'cli'],
  crypto: ['cbor', 'cose', 'types', 'messages', 'voucher', 'kex', 'session', 'phases', 'serviceinfo', 'cli'],
  cose: ['types', 'messages', 'voucher', 'kex', 'session', 'phases', 'serviceinfo', 'cli'],
  types: ['messages', 'voucher', 'kex', 'session', 'phases', 'serviceinfo', 'cli'],
  kex: ['types', 'messages', 'voucher', 'session', 'phases', 'serviceinfo', 'cli'],
  session: ['messages', 'voucher', 'phases', 'serviceinfo', 'cli'],
  voucher: ['messages', 'session', 'phases', 'serviceinfo', 'cli'],
  messages: ['voucher', 'session', 'phases', 'serviceinfo', 'cli'],
  serviceinfo: ['messages', 'voucher', 'kex', 'session', 'phases', 'cli'],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.tap/**', 'packages/storage/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        Buffer: 'readonly',
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      complexity: ['error', 20],
      // Node globals are declared by @types/node for TypeScript; tsc reports real undefined names.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/**/*.ts', 'services/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  ...Object.entries(protocolLayers).map(([layer, forbidden]) => ({
    files: [`packages/protocol/src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((f) => ({
            group: [`../${f}/*`, `../../${f}/*`],
            message: `${layer}/ may not import from ${f}/ (layer graph, docs/style.md)`,
          })),
        },
      ],
    },
  })),
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts', '**/bench/**/*.ts'],
    rules: { complexity: 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
