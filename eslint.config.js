// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Import boundaries (docs/architecture.md): the folders are the product's flow, and these rules keep them so.
const NO_TESTS = { regex: '(^|/)test/', message: 'shipped code (agent/) never imports tests or test fakes' };
const EDGE_STAGES = ['cameras', 'sampling', 'motion', 'detection', 'tracking', 'camera-health', 'clips'];
const edgeStageRule = (stage) => ({
  group: EDGE_STAGES.filter((other) => other !== stage).map((other) => `../${other}/*`),
  message: 'edge stages never import each other: the composition root (agent/app) passes data between them',
});
const STATION_ONLY = {
  regex: '^(\\.\\./)+(edge|host|models|field|app|cli|config|link/(outbox|mqtt|commands))/',
  message: 'the station imports only the contract (agent/link/contract), core and ports',
};
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const boundaries = [
  { files: ['agent/**/*.ts'], rules: restrict(NO_TESTS) },
  ...EDGE_STAGES.map((stage) => ({ files: [`agent/edge/${stage}/**/*.ts`], rules: restrict(NO_TESTS, edgeStageRule(stage)) })),
  { files: ['agent/station/**/*.ts'], rules: restrict(NO_TESTS, STATION_ONLY) },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/', 'release/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  ...boundaries,
  {
    files: ['test/**', 'scripts/**', 'bin/**', 'agent/cli/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
