// Shared by every workspace: mocha finds this file by walking up from the package folder.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/**/*.test.ts'],
  timeout: 20000,
  exit: true,
};
