// The stack test only (npm run test:stack): real processes, minutes on a first build.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['stack/test/**/*.test.ts'],
  timeout: 30 * 60 * 1000,
  exit: true,
};
