import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { getBooleanFromEnv } from '@opentelemetry/core';
import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import { checkOptions } from './check';
import type { MetricsMode, ResolvedTelemetryOptions, TelemetryOptions } from './types';

const MODES: MetricsMode[] = ['prometheus', 'otlp', 'none'];

type TrustOption = boolean | ((req: IncomingMessage) => boolean);

function warn(message: string): void {
  process.emitWarning(message, { code: 'AI_TEAMS_TELEMETRY_ENV' });
}

/**
 * The string attributes of OTEL_RESOURCE_ATTRIBUTES, parsed by the SDK's own detector. One
 * malformed pair (`note=50%`, `team` without `=`) makes the SDK ignore the whole variable, and
 * says so only at debug level: the environment set there would then be lost without a word.
 */
function resourceAttributesFromEnv(): Record<string, string | undefined> {
  const { attributes = {} } = resourceAttributesEnvDetector.detect();
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  if (Object.keys(attributes).length === 0 && process.env.OTEL_RESOURCE_ATTRIBUTES?.trim()) {
    warn(
      'OTEL_RESOURCE_ATTRIBUTES is not a valid list of key=value pairs, and the OpenTelemetry ' +
        'SDK ignores all of it (the environment and version set there included). Every key ' +
        'needs "=", and values are percent-encoded: a literal "%" is "%25", a "," is "%2C".',
    );
  }
  return out;
}

/**
 * A warning for an OTLP endpoint that is not an http(s) URL (`otel-collector:4318` without a
 * scheme): each export would fail with an error that names neither the variable nor the fix.
 */
function checkEndpoint(name: string, value: string | undefined): void {
  const v = value?.trim();
  if (v && !isHttpUrl(v)) {
    warn(
      `${name}=${JSON.stringify(value)} is not an http(s) URL; OTLP export needs one, e.g. http://otel-collector:4318`,
    );
  }
}

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/**
 * `service.instance.id`: OTEL_RESOURCE_ATTRIBUTES's, else a random UUID per process. A worker of
 * node:cluster or an instance of pm2 (cluster or fork mode) inherits the environment of the
 * process that started it, so an id set there would be every worker's, and the collector would
 * make one series of their counters, each push overwriting the others'. Such a process adds
 * its index to it: pm2's `NODE_APP_INSTANCE` (0…n-1, the same across restarts), else its
 * `cluster.worker.id` (`task-1-2`).
 */
function instanceId(fromEnv: string | undefined): string {
  if (fromEnv === undefined) return randomUUID();
  const pm2 = process.env.NODE_APP_INSTANCE?.trim();
  if (pm2) return `${fromEnv}-${pm2}`;
  return cluster.isWorker && cluster.worker ? `${fromEnv}-${cluster.worker.id}` : fromEnv;
}

/** Values of OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER this package honours. */
const SIGNAL_EXPORTERS = new Set(['', 'otlp', 'none']);

function envFlag(name: string): boolean {
  const value = (process.env[name] ?? '').trim().toLowerCase();
  if (!SIGNAL_EXPORTERS.has(value)) {
    warn(
      `${name}="${process.env[name]}" is not supported by @ai-teams/telemetry: only "otlp" (the default) and "none" are; exporting over OTLP.`,
    );
  }
  return value !== 'none';
}

const TRUST_VARIABLE = 'AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT';

/** The variable's value in an error: whole up to 200 characters (a long list is cut). */
function shownValue(raw: string): string {
  if (raw.length <= 200) return JSON.stringify(raw);
  return `${JSON.stringify(raw.slice(0, 200))}… (${raw.length} characters)`;
}

/**
 * AI_TEAMS_TELEMETRY_TRUST_TRACE_CONTEXT: unset or empty is the default (trust); `true`, `false`,
 * or a comma-separated list of addresses and CIDR blocks (`10.0.0.0/8,fd00::/8,127.0.0.1`)
 * whose callers are trusted, by the connection's remote address (IPv4 callers of a dual-stack
 * server, `::ffff:10.1.2.3`, match IPv4 blocks): the register entry's form of a function, for
 * ES module apps, whose set-up is the register entry's. Anything else fails set-up, as a
 * misspelt `flase` on a public service must not quietly keep trusting every caller.
 */
function trustFromEnv(): TrustOption {
  const raw = process.env[TRUST_VARIABLE] ?? '';
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'true') return true;
  if (value === 'false') return false;
  const trusted = new BlockList();
  // Entries as written, for the error; isIP takes either case.
  for (const entry of raw.split(',').map((e) => e.trim())) {
    const [address = '', prefix, extra] = entry.split('/');
    // BlockList ignores a zone id (fe80::1%eth0 would match fe80::1 on every interface).
    const family = address.includes('%') ? 0 : isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (bits !== undefined && (!/^\d+$/.test(prefix!) || bits > max))
    ) {
      throw new TypeError(
        `setupTelemetry(): ${TRUST_VARIABLE} must be "true", "false" or a comma-separated list of addresses and CIDR blocks (e.g. "10.0.0.0/8,127.0.0.1"), got ${shownValue(raw)}: ${JSON.stringify(entry)} is not one`,
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, bits, type);
  }
  return (req) => {
    const address = req.socket?.remoteAddress;
    const family = address === undefined ? 0 : isIP(address);
    return family !== 0 && trusted.check(address!, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * Options merged once with the environment; unknown values fail with the variable's name.
 *
 * The values that also label the metrics follow the precedence the SDK gives the trace and log
 * resource, so every signal carries the same ones: the service name is ours (it is handed to
 * the SDK, which applies it last); for environment, project and version, what
 * OTEL_RESOURCE_ATTRIBUTES sets wins, as the SDK's resource detection makes it win there.
 */
export function resolveOptions(options: TelemetryOptions): ResolvedTelemetryOptions {
  options ??= {};
  checkOptions(options);
  const env = process.env;
  const fromResource = resourceAttributesFromEnv();
  // A name of spaces would label every series with it: read as missing.
  const serviceName = [options.serviceName, env.OTEL_SERVICE_NAME, fromResource['service.name']]
    .map((name) => name?.trim())
    .find((name) => name !== undefined && name !== '');
  if (!serviceName) {
    throw new TypeError(
      'setupTelemetry(): option "serviceName" is required (or set OTEL_SERVICE_NAME), e.g. setupTelemetry({ serviceName: "api-gateway" })',
    );
  }
  const disabled = getBooleanFromEnv('OTEL_SDK_DISABLED');
  const metrics = (options.metrics ??
    (env.OTEL_METRICS_EXPORTER?.trim().toLowerCase() || 'prometheus')) as MetricsMode;
  // OTEL_SDK_DISABLED is the operator's switch: nothing else about metrics matters then.
  if (!disabled && !MODES.includes(metrics)) {
    throw new TypeError(
      `setupTelemetry(): metrics must be one of ${MODES.join(', ')} (option "metrics" or OTEL_METRICS_EXPORTER), got "${metrics}"`,
    );
  }
  // Empty (from a config object's unset value) is unset.
  const otlpEndpoint = options.otlpEndpoint?.trim().replace(/\/+$/, '') || undefined;
  if (otlpEndpoint !== undefined && !isHttpUrl(otlpEndpoint)) {
    throw new TypeError(
      `setupTelemetry(): option "otlpEndpoint" must be an http(s) URL, e.g. "http://otel-collector:4318", got ${JSON.stringify(options.otlpEndpoint)}`,
    );
  } else if (otlpEndpoint === undefined && !disabled) {
    for (const name of [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    ])
      checkEndpoint(name, env[name]);
  }
  return {
    serviceName,
    serviceVersion:
      fromResource['service.version'] ??
      options.serviceVersion ??
      env.SERVICE_VERSION ??
      env.npm_package_version ??
      '0.0.0',
    environment:
      fromResource['deployment.environment.name'] ??
      fromResource['deployment.environment'] ??
      options.environment ??
      env.DEPLOYMENT_ENVIRONMENT ??
      env.ENVIRONMENT ??
      'dev',
    project: fromResource.project ?? options.project ?? env.PROJECT ?? 'starmates-ai-team',
    // One per process, on every signal: the collector's Prometheus exporter and remote write
    // turn it into `instance`, without which two replicas' series are one.
    serviceInstanceId: instanceId(fromResource['service.instance.id']),
    otlpEndpoint,
    // OTEL_SDK_DISABLED turns every signal off, whatever the code asks for: the operator's switch.
    traces: !disabled && (options.traces ?? envFlag('OTEL_TRACES_EXPORTER')),
    logs: !disabled && (options.logs ?? envFlag('OTEL_LOGS_EXPORTER')),
    metrics: disabled ? 'none' : metrics,
    ignorePaths: [...(options.ignorePaths ?? ['/health', '/metrics'])],
    trustIncomingTraceContext: options.trustIncomingTraceContext ?? trustFromEnv(),
    shutdownOnSigterm: options.shutdownOnSigterm ?? false,
    diagIntervalMs: options.diagIntervalMs ?? 60_000,
  };
}
