import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Layers: bin → cli → commands → steps → aws. Steps never print or exit.
    files: ['src/steps/**/*.ts', 'src/state/**/*.ts', 'src/aws/**/*.ts', 'src/config/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only bin/ ends the process.' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/commands/*', '**/cli.js'], message: 'Lower layers never import upwards.' }] }],
    },
  },
);
