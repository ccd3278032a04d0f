// Architecture rules: packages meet only through public entry points and OpenTelemetry's
// context; SDK packages are runtime dependencies of @ai-teams/telemetry alone.
const SDK =
  'node_modules/@opentelemetry/(sdk-[^/]+|exporter-[^/]+|instrumentation[^/]*|auto-instrumentations-[^/]+|winston-transport|context-async-hooks|resources)/';
// What @ai-teams/otel-metrics' prometheusMetrics() is built on (see the exception below).
const OTEL_METRICS_SDK = 'node_modules/@opentelemetry/(sdk-metrics|exporter-prometheus|resources)/';

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
      from: { path: '^packages/(?!telemetry/|test-utils/|otel-metrics/)[^/]+/src/' },
      to: { path: SDK, dependencyTypesNot: ['type-only'] },
    },
    // The one exception. Issue 4 builds @ai-teams/otel-metrics on sdk-metrics and
    // exporter-prometheus: prometheusMetrics() returns a MeterProvider (with a resource carrying
    // the required labels) read by the Prometheus exporter, so those three are its runtime
    // dependencies. Nothing else of the SDK, and only prometheus.ts: the middleware and the
    // business recorders stay on @opentelemetry/api and work with any provider.
    {
      name: 'otel-metrics-sdk-only-for-prometheus',
      comment:
        '@ai-teams/otel-metrics may use sdk-metrics, exporter-prometheus and resources at run time, in src/prometheus.ts only.',
      severity: 'error',
      from: { path: '^packages/otel-metrics/src/' },
      to: {
        path: SDK,
        pathNot: OTEL_METRICS_SDK,
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'otel-metrics-sdk-outside-prometheus',
      severity: 'error',
      from: {
        path: '^packages/otel-metrics/src/',
        pathNot: '^packages/otel-metrics/src/prometheus[.]ts$',
      },
      to: { path: OTEL_METRICS_SDK, dependencyTypesNot: ['type-only'] },
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
