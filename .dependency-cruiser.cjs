// Architecture rules: packages meet only through public entry points and OpenTelemetry's
// context; SDK packages are runtime dependencies of @ai-teams/telemetry alone.
const SDK =
  'node_modules/@opentelemetry/(sdk-[^/]+|exporter-[^/]+|instrumentation[^/]*|auto-instrumentations-[^/]+|winston-transport|context-async-hooks|resources)/';

module.exports = {
  forbidden: [
    {
      name: 'no-deep-imports-between-packages',
      comment: 'Import another workspace package by its name, never its src/ or dist/ files.',
      severity: 'error',
      from: { path: '^(packages|examples)/([^/]+)/' },
      to: {
        path: '^packages/([^/]+)/(src|dist)/',
        pathNot: ['^packages/$2/', '^packages/test-utils/src/index[.]ts$'],
      },
    },
    {
      name: 'no-sdk-outside-telemetry',
      comment:
        'Only @ai-teams/telemetry may depend on OpenTelemetry SDK packages at run time; others take @opentelemetry/api.',
      severity: 'error',
      from: { path: '^packages/(?!telemetry/|test-utils/)[^/]+/src/' },
      to: { path: SDK, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-test-utils-in-src',
      severity: 'error',
      from: { path: '^packages/(?!test-utils/)[^/]+/src/' },
      to: { path: '^packages/test-utils/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages|examples)/[^/]+/(dist|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
  },
};
