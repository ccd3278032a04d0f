import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { globalErrorHandler } from '@opentelemetry/core';
import { rateLimitedDiag } from '../src/diag';
import { logDropReporter } from '../src/log-drops';
import { requiredLabels } from '@ai-teams/otel-metrics';
import { resolveOptions } from '../src/options';

describe('resolveOptions()', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names the option and the variable when the service name is missing', () => {
    delete process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    assert.throws(
      () => resolveOptions({}),
      /"serviceName" is required \(or set OTEL_SERVICE_NAME\)/,
    );
  });

  it('reads the environment: service, environment, project, exporters', () => {
    Object.assign(process.env, {
      OTEL_SERVICE_NAME: 'svc',
      ENVIRONMENT: 'prod',
      PROJECT: 'p',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'none',
    });
    delete process.env.DEPLOYMENT_ENVIRONMENT;
    const o = resolveOptions({});
    assert.deepEqual(
      [o.serviceName, o.environment, o.project, o.metrics, o.logs, o.traces],
      ['svc', 'prod', 'p', 'otlp', false, true],
    );
  });

  it('defaults environment and project as otel-metrics does, so adding it leaves the metric labels as they were', () => {
    for (const key of [
      'DEPLOYMENT_ENVIRONMENT',
      'ENVIRONMENT',
      'PROJECT',
      'OTEL_RESOURCE_ATTRIBUTES',
    ])
      delete process.env[key];
    const o = resolveOptions({ serviceName: 'svc' });
    const labels = requiredLabels({ serviceName: 'svc' });
    assert.deepEqual([o.environment, o.project], [labels.environment, labels.project]);
    assert.deepEqual([o.environment, o.project], ['dev', 'starmates-ai-team']);
  });

  it('lets options win over the environment and trims the endpoint', () => {
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    const o = resolveOptions({ serviceName: 'a', metrics: 'none', otlpEndpoint: 'http://c:4318/' });
    assert.equal(o.metrics, 'none');
    assert.equal(o.otlpEndpoint, 'http://c:4318');
  });

  it('takes environment, project and version from OTEL_RESOURCE_ATTRIBUTES, as the SDK resource does', () => {
    Object.assign(process.env, {
      OTEL_RESOURCE_ATTRIBUTES:
        'deployment.environment.name=staging,project=from-attrs,service.version=2.1.0,team=x',
      ENVIRONMENT: 'prod',
      PROJECT: 'p',
      SERVICE_VERSION: '1.0.0',
    });
    const o = resolveOptions({ serviceName: 'a', environment: 'dev', project: 'q' });
    assert.deepEqual(
      [o.environment, o.project, o.serviceVersion],
      ['staging', 'from-attrs', '2.1.0'],
    );
    // The older key alone is read too.
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment=qa';
    assert.equal(resolveOptions({ serviceName: 'a' }).environment, 'qa');
  });

  it('names the service from OTEL_RESOURCE_ATTRIBUTES last: an option or OTEL_SERVICE_NAME wins', () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=from-attrs';
    delete process.env.OTEL_SERVICE_NAME;
    assert.equal(resolveOptions({}).serviceName, 'from-attrs');
    process.env.OTEL_SERVICE_NAME = 'from-env';
    assert.equal(resolveOptions({}).serviceName, 'from-env');
    assert.equal(resolveOptions({ serviceName: 'from-code' }).serviceName, 'from-code');
  });

  it('turns every signal off with OTEL_SDK_DISABLED=true, over the options', () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    const o = resolveOptions({ serviceName: 'a', traces: true, logs: true, metrics: 'prometheus' });
    assert.deepEqual([o.traces, o.logs, o.metrics], [false, false, 'none']);
    process.env.OTEL_SDK_DISABLED = 'false';
    assert.equal(resolveOptions({ serviceName: 'a', metrics: 'prometheus' }).metrics, 'prometheus');
  });

  /** The AI_TEAMS_TELEMETRY_ENV warnings `run` emits. */
  function warningsOf(run: () => unknown): string[] {
    const seen: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((message: string, options?: { code?: string }) => {
      if (options?.code === 'AI_TEAMS_TELEMETRY_ENV') seen.push(message);
    }) as typeof process.emitWarning;
    try {
      run();
    } finally {
      process.emitWarning = original;
    }
    return seen;
  }

  it('warns, naming the variable, when OTEL_RESOURCE_ATTRIBUTES is ignored as a whole for one bad pair', () => {
    delete process.env.DEPLOYMENT_ENVIRONMENT;
    delete process.env.ENVIRONMENT;
    for (const bad of [
      'deployment.environment.name=prod,note=50%',
      'deployment.environment.name=prod,team',
    ]) {
      process.env.OTEL_RESOURCE_ATTRIBUTES = bad;
      let environment = '';
      const warnings = warningsOf(
        () => (environment = resolveOptions({ serviceName: 'a' }).environment),
      );
      assert.equal(environment, 'dev', 'the SDK drops every pair, the good one too');
      assert.equal(warnings.length, 1, bad);
      assert.match(warnings[0]!, /^OTEL_RESOURCE_ATTRIBUTES is not a valid list.*"%25"/);
    }
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=prod, team = x ,';
    assert.deepEqual(
      warningsOf(() => resolveOptions({ serviceName: 'a' })),
      [],
    );
  });

  it('warns about an OTLP endpoint variable without http(s), and rejects such an otlpEndpoint option', () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'otel-collector:4318';
    process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = 'http://ok:4318/v1/logs';
    const warnings = warningsOf(() => resolveOptions({ serviceName: 'a' }));
    assert.deepEqual(warnings, [
      'OTEL_EXPORTER_OTLP_ENDPOINT="otel-collector:4318" is not an http(s) URL; OTLP export needs one, e.g. http://otel-collector:4318',
    ]);
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    assert.throws(
      () => resolveOptions({ serviceName: 'a', otlpEndpoint: 'not a url' }),
      /option "otlpEndpoint" must be an http\(s\) URL.*got "not a url"/,
    );
    assert.equal(
      resolveOptions({ serviceName: 'a', otlpEndpoint: ' http://c:4318/ ' }).otlpEndpoint,
      'http://c:4318',
    );
    assert.equal(resolveOptions({ serviceName: 'a', otlpEndpoint: '' }).otlpEndpoint, undefined);
  });

  it('warns about a traces or logs exporter it does not support, and exports over OTLP', () => {
    process.env.OTEL_TRACES_EXPORTER = 'console';
    process.env.OTEL_LOGS_EXPORTER = 'none';
    let traces = false;
    const warnings = warningsOf(() => (traces = resolveOptions({ serviceName: 'a' }).traces));
    assert.equal(traces, true);
    assert.deepEqual(warnings.length, 1);
    assert.match(warnings[0]!, /^OTEL_TRACES_EXPORTER="console" is not supported.*"otlp".*"none"/);
  });

  it('names the option and the value for options of the wrong type', () => {
    const wrong = (value: unknown) => value as never;
    const cases: [Record<string, unknown>, typeof TypeError, RegExp][] = [
      [{ serviceName: 42 }, TypeError, /option "serviceName" must be a string, got 42/],
      [{ serviceVersion: 1 }, TypeError, /option "serviceVersion" must be a string, got 1/],
      [{ environment: ['prod'] }, TypeError, /option "environment" must be a string, got an array/],
      [{ project: {} }, TypeError, /option "project" must be a string, got an object/],
      [{ otlpEndpoint: 4318 }, TypeError, /option "otlpEndpoint" must be a string, got 4318/],
      [{ traces: 'no' }, TypeError, /option "traces" must be true or false, got "no"/],
      [{ logs: 0 }, TypeError, /option "logs" must be true or false, got 0/],
      [
        { shutdownOnSigterm: 'true' },
        TypeError,
        /option "shutdownOnSigterm" must be true or false/,
      ],
      [
        { ignorePaths: '/health' },
        TypeError,
        /option "ignorePaths" must be an array of paths.*got "\/health"/,
      ],
      [{ ignorePaths: [/health/] }, TypeError, /option "ignorePaths" must be an array of paths/],
      [
        { diagIntervalMs: 'x' },
        TypeError,
        /option "diagIntervalMs" must be a number of milliseconds, got "x"/,
      ],
      [{ diagIntervalMs: -1 }, RangeError, /option "diagIntervalMs" must be a number >= 0, got -1/],
      [
        { diagIntervalMs: NaN },
        RangeError,
        /option "diagIntervalMs" must be a number >= 0, got NaN/,
      ],
      [{ traceExporter: {} }, TypeError, /option "traceExporter" must be an exporter/],
      [{ logExporter: 'otlp' }, TypeError, /option "logExporter" must be an exporter.*got "otlp"/],
      [
        { trustIncomingTraceContext: 'false' },
        TypeError,
        /option "trustIncomingTraceContext" must be true, false or a function of the request, got "false"/,
      ],
    ];
    for (const [options, type, message] of cases) {
      assert.throws(
        () => resolveOptions(wrong({ serviceName: 'a', ...options })),
        (err: Error) =>
          err instanceof type &&
          message.test(err.message) &&
          err.message.startsWith('setupTelemetry(): '),
        JSON.stringify(options),
      );
    }
    assert.throws(
      () => resolveOptions(wrong('api-gateway')),
      /^TypeError: setupTelemetry\(\): options must be an object such as \{ serviceName: 'api-gateway' \}, got "api-gateway"$/,
    );
    // null or undefined keeps the default, for each option and for the whole argument.
    process.env.OTEL_SERVICE_NAME = 'from-env';
    const o = resolveOptions(
      wrong({ serviceName: null, traces: null, ignorePaths: undefined, diagIntervalMs: null }),
    );
    assert.deepEqual(
      [o.serviceName, o.ignorePaths, o.diagIntervalMs],
      ['from-env', ['/health', '/metrics'], 60_000],
    );
    assert.equal(resolveOptions(wrong(null)).serviceName, 'from-env');
  });

  it('reads a service name of spaces as missing', () => {
    process.env.OTEL_SERVICE_NAME = '   ';
    delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    assert.throws(() => resolveOptions({}), /"serviceName" is required/);
    assert.equal(resolveOptions({ serviceName: ' api ' }).serviceName, 'api');
  });

  it('does not check the metrics exporter when OTEL_SDK_DISABLED=true turns metrics off', () => {
    Object.assign(process.env, { OTEL_SDK_DISABLED: 'true', OTEL_METRICS_EXPORTER: 'console' });
    assert.equal(resolveOptions({ serviceName: 'a' }).metrics, 'none');
  });

  it('reads AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT, and fails set-up for a value that is neither true, false nor a list of addresses', () => {
    const trust = () => resolveOptions({ serviceName: 'a' }).trustIncomingTraceContext;
    delete process.env.AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT;
    assert.equal(trust(), true, 'trusted by default');
    for (const [value, expected] of [
      ['', true],
      ['true', true],
      [' FALSE ', false],
      ['false', false],
    ] as const) {
      process.env.AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT = value;
      assert.equal(trust(), expected, JSON.stringify(value));
    }
    assert.equal(
      resolveOptions({ serviceName: 'a', trustIncomingTraceContext: true })
        .trustIncomingTraceContext,
      true,
      'the option wins',
    );
    const bad: [value: string, entry: string][] = [
      ['flase', 'flase'],
      ['10.0.0.0/8,10.0.0.0/33', '10.0.0.0/33'],
      ['10.0.0.0/8/1', '10.0.0.0/8/1'],
      ['::1/129', '::1/129'],
      ['10.0.0.0/x', '10.0.0.0/x'],
      ['10.0.0.0/8,', ''],
      // Named as written, not lower-cased.
      ['10.0.0.0/8,FLASE', 'FLASE'],
      // A zone id is not matched (the caller's fe80::1%eth1 would be trusted): refused.
      ['FE80::1%eth0', 'FE80::1%eth0'],
      ['fe80::/10%eth0', 'fe80::/10%eth0'],
    ];
    const long = `${Array.from({ length: 100 }, (_, i) => `10.0.${i}.0/24`).join(',')},bad`;
    process.env.AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT = long;
    assert.throws(
      trust,
      (err: Error) =>
        err.message.length < 600 &&
        err.message.endsWith(`… (${long.length} characters): "bad" is not one`),
      'a long list is cut in the message',
    );
    for (const [value, entry] of bad) {
      process.env.AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT = value;
      assert.throws(
        trust,
        (err: Error) =>
          err instanceof TypeError &&
          err.message.startsWith(
            'setupTelemetry(): AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT must be "true", "false" or a comma-separated list of addresses and CIDR blocks',
          ) &&
          err.message.endsWith(
            `, got ${JSON.stringify(value)}: ${JSON.stringify(entry)} is not one`,
          ),
        value,
      );
    }
  });

  it('reads a list of addresses and CIDR blocks in AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: their callers are trusted', () => {
    process.env.AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT = ' 10.0.0.0/8, 192.168.1.7 ,FD00::/8 ';
    const trust = resolveOptions({ serviceName: 'a' }).trustIncomingTraceContext;
    assert.equal(typeof trust, 'function');
    const from = (remoteAddress: string | undefined) =>
      (trust as (req: IncomingMessage) => boolean)({
        socket: { remoteAddress },
      } as IncomingMessage);
    assert.deepEqual(
      [
        '10.1.2.3',
        '::ffff:10.1.2.3', // an IPv4 caller of a server listening on ::
        '192.168.1.7',
        'fd12::1',
        '11.0.0.1',
        '192.168.1.8',
        '127.0.0.1',
        '::1',
        undefined, // a socket already destroyed
      ].map(from),
      [true, true, true, true, false, false, false, false, false],
    );
  });

  it('rejects an unknown metrics exporter with the variable name', () => {
    process.env.OTEL_METRICS_EXPORTER = 'statsd';
    assert.throws(() => resolveOptions({ serviceName: 'a' }), /OTEL_METRICS_EXPORTER.*"statsd"/);
  });
});

/** Runs `fn` with `limited` as the global diag logger at the level installDiag() gives it. */
/**
 * Runs `script` (TypeScript source, with `require` relative to the package) in a process of its
 * own, which must exit 0, and returns what it printed on stderr: what the exit hooks wrote.
 */
function stderrOfScript(script: string): string {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: path.resolve(__dirname, '..'),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stderr;
}

function asGlobalDiag(limited: DiagLogger, fn: () => void): void {
  diag.setLogger(limited, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    fn();
  } finally {
    diag.disable();
  }
}

/**
 * A rate-limited diag logger on a fake clock: its lines, its timers (and those `schedule` takes),
 * the exit functions registered, and `advance` to move the clock.
 */
function logger(intervalMs = 1000) {
  const lines: string[] = [];
  const timers: { at: number; fn: () => void }[] = [];
  const clock = { t: 0 };
  const exits = new Set<() => void>();
  const schedule = (fn: () => void, ms: number) => timers.push({ at: clock.t + ms, fn });
  const atExit = (fn: () => void) => {
    exits.add(fn);
    return () => exits.delete(fn);
  };
  const diag = rateLimitedDiag(
    intervalMs,
    (l) => lines.push(l),
    () => clock.t,
    schedule,
    atExit,
  );
  /** Moves the clock to `t`, running the timers due by then. */
  const advance = (t: number) => {
    for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (timer.at > t) {
        timers.push(timer);
        continue;
      }
      clock.t = timer.at;
      timer.fn();
    }
    clock.t = t;
  };
  return { diag, lines, timers, exits, advance, schedule, atExit };
}

describe('rateLimitedDiag()', () => {
  it('prints one line per interval and counts the held-back ones', () => {
    const { diag, lines, advance } = logger();
    diag.error('export failed', new Error('ECONNREFUSED'));
    for (let i = 0; i < 50; i++) diag.error('export failed');
    advance(500);
    diag.warn('still failing');
    diag.info('ignored');
    advance(999);
    assert.deepEqual(lines, ['[telemetry] error: export failed ECONNREFUSED']);
    advance(1000);
    assert.deepEqual(lines, [
      '[telemetry] error: export failed ECONNREFUSED',
      '[telemetry] warn: still failing (50 similar messages suppressed)',
    ]);
  });

  it("prints the SDK's exceptions as name, message and code, not their JSON with the stack", () => {
    const { diag: limited, lines, advance } = logger();
    asGlobalDiag(limited, () => {
      // What sdk-trace's batch processor does with a failed export: the global error handler.
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), {
        code: 'ECONNREFUSED',
        errno: -111,
      });
      globalErrorHandler(refused);
      advance(1000);
      class OTLPExporterError extends Error {
        override name = 'OTLPExporterError';
        code = 503;
      }
      globalErrorHandler(new OTLPExporterError('Export failed with retryable status'));
      advance(2000);
      globalErrorHandler(new Error('Concurrent export limit reached'));
      advance(3000);
      globalErrorHandler(new Error('timed out', { cause: new Error('socket') }));
      diag.error('{"not":"an exception"}');
      advance(4000);
    });
    assert.deepEqual(lines, [
      '[telemetry] error: connect ECONNREFUSED 127.0.0.1:4318',
      '[telemetry] error: OTLPExporterError: Export failed with retryable status (503)',
      '[telemetry] error: Concurrent export limit reached: a batch was dropped while earlier exports still wait for the collector (slow or unreachable)',
      '[telemetry] error: timed out, cause: Error: socket',
      '[telemetry] error: {"not":"an exception"}',
    ]);
  });

  it("keeps what the collector answered, an AggregateError's errors, and a bounded line", () => {
    const { diag: limited, lines, advance } = logger();
    asGlobalDiag(limited, () => {
      // What otlp-exporter-base's HTTP transport fails a 4xx with: the status text and code,
      // and the collector's answer, which says why (up to 4 MB of it).
      const rejected = (data: string) =>
        Object.assign(new Error('Bad Request'), { name: 'OTLPExporterError', code: 400, data });
      globalErrorHandler(rejected('{"code":3,"message":"unknown field \\"spans\\""}'));
      advance(1000);
      globalErrorHandler(rejected(`{"message":"${'x'.repeat(5_000_000)}"}`));
      advance(2000);
      // What node:net fails a connection with when the host name has several addresses
      // (`localhost` as ::1 and 127.0.0.1): an empty message, the JSON leaves it out.
      const refused = (address: string) =>
        Object.assign(new Error(`connect ECONNREFUSED ${address}:4318`), { code: 'ECONNREFUSED' });
      globalErrorHandler(
        Object.assign(new AggregateError([refused('::1'), refused('127.0.0.1')]), {
          code: 'ECONNREFUSED',
        }),
      );
      advance(3000);
      diag.warn('m'.repeat(1_000_000));
      advance(4000);
    });
    assert.deepEqual(lines.slice(0, 1), [
      '[telemetry] error: OTLPExporterError: Bad Request (400), response: {"code":3,"message":"unknown field \\"spans\\""}',
    ]);
    assert.match(
      lines[1]!,
      /^\[telemetry\] error: OTLPExporterError: Bad Request \(400\), response: \{"message":"x+… \(5000014 characters\)$/,
    );
    assert.ok(lines[1]!.length < 1000, `a line of ${lines[1]!.length} characters`);
    assert.equal(
      lines[2],
      '[telemetry] error: AggregateError: connect ECONNREFUSED ::1:4318, connect ECONNREFUSED 127.0.0.1:4318',
    );
    assert.ok(lines[3]!.length < 5000, `a line of ${lines[3]!.length} characters`);
    assert.equal(lines.length, 4);
  });

  it('prints one line for a message or an argument with line breaks', () => {
    const { diag: limited, lines, advance } = logger();
    asGlobalDiag(limited, () => {
      globalErrorHandler(new Error('first\nsecond\r\n  third'));
      advance(1000);
      globalErrorHandler('thrown\nas a string');
      advance(2000);
      // What otlp-exporter-base warns with when a 200 answer is not OTLP (a proxy's page): the
      // body as it came.
      diag.warn(
        'Export succeeded but could not deserialize response - is the response specification compliant?',
        new SyntaxError('Unexpected token <'),
        Buffer.from('<html>\n<body>\n  Hello\n</body>\n</html>\n'),
      );
      advance(3000);
      diag.warn(`${'a\n'.repeat(3000)}`);
      advance(4000);
    });
    assert.deepEqual(lines.slice(0, 3), [
      '[telemetry] error: first second third',
      '[telemetry] error: thrown as a string',
      '[telemetry] warn: Export succeeded but could not deserialize response - is the response specification compliant? Unexpected token < <html> <body> Hello </body> </html>',
    ]);
    assert.equal(lines.length, 4);
    for (const line of lines) assert.doesNotMatch(line, /[\r\n]/);
    assert.ok(lines[3]!.length < 4200, `a line of ${lines[3]!.length} characters`);
  });

  it('never throws for a message or an argument that cannot be made a string', () => {
    const { diag: limited, lines, advance } = logger();
    const bare = Object.create(null) as object;
    const hostile = {
      toString: () => {
        throw new Error('no');
      },
    };
    limited.error(bare as unknown as string, hostile);
    advance(1000);
    limited.warn('x', bare);
    assert.deepEqual(lines, [
      '[telemetry] error: [a value that cannot be printed] [a value that cannot be printed]',
      '[telemetry] warn: x [a value that cannot be printed]',
    ]);
  });

  it('prints what a burst shorter than the interval held back at its end, with nothing after it', () => {
    const { diag, lines, timers, advance } = logger();
    diag.warn('Dropped 10 spans because maxQueueSize reached');
    diag.error('export failed');
    diag.error('export failed');
    assert.equal(timers.length, 1, 'one timer for the interval');
    advance(60_000);
    assert.deepEqual(lines, [
      '[telemetry] warn: Dropped 10 spans because maxQueueSize reached',
      '[telemetry] error: export failed (1 similar messages suppressed)',
    ]);
    assert.equal(timers.length, 0);
  });

  it('waits a whole interval after a line printed while a summary was due', () => {
    const { diag, lines, advance } = logger();
    diag.error('a');
    diag.error('b'); // held: due at 1000
    advance(1000);
    diag.error('c'); // right after the summary of 'b': held, with 'd'
    diag.error('d'); // held: due at 2000
    advance(1999);
    assert.deepEqual(lines, ['[telemetry] error: a', '[telemetry] error: b']);
    advance(2000);
    assert.deepEqual(lines, [
      '[telemetry] error: a',
      '[telemetry] error: b',
      '[telemetry] error: d (1 similar messages suppressed)',
    ]);
  });
  it('prints what it holds at exit, before the interval is over', () => {
    const { diag, lines, exits, advance } = logger();
    diag.error('failed 1');
    assert.equal(exits.size, 0, 'nothing held, nothing to do at exit');
    for (let i = 2; i <= 5; i++) diag.error(`failed ${i}`);
    assert.equal(exits.size, 1);
    advance(100);
    for (const exit of [...exits]) exit();
    assert.deepEqual(lines, [
      '[telemetry] error: failed 1',
      '[telemetry] error: failed 5 (3 similar messages suppressed)',
    ]);
    assert.equal(exits.size, 0);
  });

  it('holds lines under an interval longer than a timer can wait, and prints them at exit', () => {
    // Node fires a timer of more than 2^31 - 1 ms after 1 ms, with a warning: capped here.
    const script = [
      "const { rateLimitedDiag } = require('./src/diag.ts');",
      'const diag = rateLimitedDiag(Infinity);',
      "for (let i = 1; i <= 5; i++) diag.error('failed ' + i);",
    ].join('\n');
    assert.equal(
      stderrOfScript(script),
      '[telemetry] error: failed 1\n[telemetry] error: failed 5 (3 similar messages suppressed)\n',
    );
  });
});

describe('logDropReporter()', () => {
  const DROPPED =
    'because maxQueueSize reached (OTEL_BLRP_MAX_QUEUE_SIZE): their OTLP copies are lost, stdout has the lines';

  it('says from its second report on how many were dropped since the start, as the line keeps the latest', () => {
    // The diagnostic line prints one line a minute: of the reports held back in it, only the
    // latest is printed, so it carries the total.
    const { diag: limited, lines, exits, advance, schedule, atExit } = logger(60_000);
    asGlobalDiag(limited, () => {
      const processed = logDropReporter(schedule, atExit)
        .getMeter('@opentelemetry/sdk-logs')
        .createCounter('otel.sdk.processor.log.processed');
      const full = { 'error.type': 'queue_full' };
      processed.add(6, full);
      advance(1000); // printed: the first line of the minute
      processed.add(10, full);
      advance(3000); // held
      processed.add(4, full);
      advance(5000); // held, in place of the one before
      advance(61_000);
    });
    assert.deepEqual(lines, [
      `[telemetry] warn: Dropped 6 log records ${DROPPED}`,
      `[telemetry] warn: Dropped 4 log records (20 since the start) ${DROPPED} (1 similar messages suppressed)`,
    ]);
    assert.equal(exits.size, 0, 'nothing left to do at exit');
  });

  it('tells the log records dropped before the process exits also right after another line', () => {
    // An export failure printed just before: the report at exit comes within the interval, and
    // is held where the exit leaves no time to print it.
    const script = [
      "const { diag, DiagLogLevel } = require('@opentelemetry/api');",
      "const { rateLimitedDiag } = require('./src/diag.ts');",
      "const { logDropReporter } = require('./src/log-drops.ts');",
      'diag.setLogger(rateLimitedDiag(60_000), DiagLogLevel.WARN);',
      "diag.error('export failed');",
      "const meter = logDropReporter().getMeter('@opentelemetry/sdk-logs');",
      "meter.createCounter('otel.sdk.processor.log.processed').add(5, { 'error.type': 'queue_full' });",
    ].join('\n');
    assert.equal(
      stderrOfScript(script),
      `[telemetry] error: export failed\n[telemetry] warn: Dropped 5 log records ${DROPPED}\n`,
    );
  });

  it('tells the log records dropped just before the process exits, and only those', () => {
    // Two drops, an export's finished records and a failed export's: the timer of one second
    // has not fired when the process ends.
    const script = [
      "const { diag, DiagLogLevel } = require('@opentelemetry/api');",
      "const { rateLimitedDiag } = require('./src/diag.ts');",
      "const { logDropReporter } = require('./src/log-drops.ts');",
      'diag.setLogger(rateLimitedDiag(60_000), DiagLogLevel.WARN);',
      "const meter = logDropReporter().getMeter('@opentelemetry/sdk-logs');",
      "const processed = meter.createCounter('otel.sdk.processor.log.processed');",
      "processed.add(2, { 'error.type': 'queue_full' });",
      "processed.add(3, { 'error.type': 'queue_full' });",
      'processed.add(512, {});',
      "processed.add(512, { 'error.type': 'OTLPExporterError' });",
      "meter.createCounter('another').add(1, { 'error.type': 'queue_full' });",
    ].join('\n');
    assert.equal(
      stderrOfScript(script),
      '[telemetry] warn: Dropped 5 log records because maxQueueSize reached ' +
        '(OTEL_BLRP_MAX_QUEUE_SIZE): their OTLP copies are lost, stdout has the lines\n',
    );
  });
});
