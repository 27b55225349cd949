import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A layer of src/ and the layers above it, which it must never import. */
function layer(files, above) {
  const group = above.map((name) => (name === 'cli' ? '**/cli.js' : `**/${name}/*`));
  return [
    {
      files: [files],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ group, message: 'A lower layer never imports an upper one (docs/architecture.md).' }] },
        ],
      },
    },
  ];
}

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
    // Nothing below bin/ prints or ends the process on its own: only commands and views write, only bin/ exits.
    files: [
      'src/engine/**/*.ts',
      'src/resources/**/*.ts',
      'src/checks/**/*.ts',
      'src/state/**/*.ts',
      'src/aws/**/*.ts',
      'src/config/**/*.ts',
    ],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only bin/ ends the process.' },
      ],
    },
  },
  // Layers (docs/architecture.md): cli → commands → views, checks, resources, engine → state, aws, config. Never an import upwards.
  ...layer('src/views/**/*.ts', ['commands', 'cli']),
  ...layer('src/checks/**/*.ts', ['commands', 'cli', 'views']),
  ...layer('src/resources/**/*.ts', ['commands', 'cli', 'views', 'checks']),
  ...layer('src/engine/**/*.ts', ['commands', 'cli', 'views', 'checks', 'resources']),
  ...layer('src/{state,aws,config}/**/*.ts', ['commands', 'cli', 'views', 'checks', 'resources', 'engine']),
);
