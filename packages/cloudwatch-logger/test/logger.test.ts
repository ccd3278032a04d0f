import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import { captureLines, tick, type LineCapture } from '@ai-teams/test-utils';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { OpenTelemetryTransportV3 } from '@opentelemetry/winston-transport';
import { format } from 'winston';
import Transport from 'winston-transport';
import { createLogger } from '../src';
import { ACCESS } from '../src/access-line';
import { directWriter } from '../src/direct';
import type { LoggerOptions } from '../src';

const CLOCK = Date.parse('2026-01-31T10:30:45.123Z');

function setup(options: Partial<LoggerOptions> = {}) {
  const out: LineCapture = captureLines();
  const logger = createLogger({
    service: 'api-gateway',
    environment: 'development',
    stream: out.stream,
    sync: true,
    clock: () => CLOCK,
    env: {},
    ...options,
  });
  return { out, logger, line: () => out.lines().at(-1)! };
}

describe('createLogger() lines', () => {
  it('writes the core fields on every line', () => {
    const { logger, out } = setup();
    logger.info('hello');
    logger.warn('careful');
    assert.deepEqual(out.lines(), [
      {
        '@timestamp': '2026-01-31T10:30:45.123Z',
        '@level': 'INFO',
        '@message': 'hello',
        service: 'api-gateway',
        tracking_id: 'unknown',
      },
      {
        '@timestamp': '2026-01-31T10:30:45.123Z',
        '@level': 'WARN',
        '@message': 'careful',
        service: 'api-gateway',
        tracking_id: 'unknown',
      },
    ]);
  });

  it('takes tracking_id from the call meta', () => {
    const { logger, line } = setup();
    logger.info('job', { tracking_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    assert.equal(line().tracking_id, '4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it("takes any tracking_id of the call meta outside a request (a job's own id)", () => {
    const { logger, line } = setup();
    logger.info('job', { tracking_id: 'job-42' });
    assert.equal(line().tracking_id, 'job-42');
  });

  it("cuts a job's own tracking_id over 64 characters once, the same in the OTLP copy", async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    logs.setGlobalLoggerProvider(provider);
    try {
      const { logger, line } = setup({ transports: [new OpenTelemetryTransportV3()] });
      const id = `nightly-report:${'7'.repeat(36)}:2026-11-27T02:00:00Z`;
      logger.info('job', { tracking_id: id });
      const [copy] = exporter.getFinishedLogRecords();
      assert.equal(copy!.attributes.tracking_id, line().tracking_id);
      assert.equal(line().tracking_id, id.slice(0, 64));
    } finally {
      logs.disable();
      await provider.shutdown();
    }
  });

  it('maps the plan flat extras into nested objects and keeps other extras', () => {
    const { logger, line } = setup();
    logger.info('POST /api/v1/sessions - 201', {
      request_method: 'POST',
      request_path: '/api/v1/sessions',
      request_duration: 0.245,
      request_size: 1024,
      response_status: 201,
      response_size: 2048,
      user_id: 'user_12345',
      user_segment: 'premium',
      session_id: 'session_67890',
      session_duration: 1200,
      workflow_id: 'wf_1',
      workflow_type: 'simple',
      operation_name: 'create_session',
      operation_result: 'success',
      attempt: 2,
    });
    const l = line();
    assert.deepEqual(l.request, {
      method: 'POST',
      path: '/api/v1/sessions',
      duration: 0.245,
      size: 1024,
    });
    assert.deepEqual(l.response, { status: 201, size: 2048 });
    assert.deepEqual(l.user, { id: 'user_12345', segment: 'premium' });
    assert.deepEqual(l.session, { id: 'session_67890', duration: 1200 });
    assert.deepEqual(l.workflow, { id: 'wf_1', type: 'simple' });
    assert.deepEqual(l.operation, { name: 'create_session', result: 'success' });
    assert.equal(l.attempt, 2);
    assert.equal(l.request_method, undefined);
  });

  it('accepts nested objects directly, merged with flat keys, and a string operation', () => {
    const { logger, line } = setup();
    logger.info('created', {
      user: { id: 'u1', plan: 'pro' },
      user_segment: 'free',
      operation: 'create_session',
    });
    assert.deepEqual(line().user, { id: 'u1', plan: 'pro', segment: 'free' });
    assert.deepEqual(line().operation, { name: 'create_session' });
  });

  it('turns an Error in meta into error{} and exception{}', () => {
    const { logger, line } = setup();
    const err = Object.assign(new TypeError('bad input'), { code: 'E001', status: 400 });
    logger.error('validation failed', { error: err });
    const l = line();
    assert.equal(l['@level'], 'ERROR');
    assert.deepEqual(l.error, {
      type: 'TypeError',
      code: 'E001',
      message: 'bad input',
      category: 'client',
    });
    const ex = l.exception as Record<string, unknown>;
    assert.equal(ex.class, 'TypeError');
    assert.match(String(ex.stack_trace), /^TypeError: bad input\n\s+at /);
    assert.match(String(ex.file), /logger\.test\.ts$/);
    assert.equal(typeof ex.line, 'number');
  });

  it("shows an error's causes under error.cause, three deep, and ends a chain that loops", () => {
    const { logger, line } = setup();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const wrapped = new Error('step 1', {
      cause: new Error('step 2', { cause: new TypeError('fetch failed', { cause: refused }) }),
    });
    logger.error('upstream', { error: new Error('upstream failed', { cause: wrapped }) });
    const causes: unknown[] = [];
    for (let c = (line().error as any).cause; c; c = c.cause) causes.push(c.message);
    assert.deepEqual(causes, ['step 1', 'step 2', 'fetch failed'], 'three deep');
    const looping = new Error('a');
    looping.cause = new Error('b', { cause: looping });
    logger.error(looping);
    assert.deepEqual((line().error as any).cause, { type: 'Error', message: 'b' });
    logger.error('text', { error: new Error('x', { cause: 'plain text' }) });
    assert.deepEqual((line().error as any).cause, { message: 'plain text' });
    // A cause that is not an Error: its own values, redacted, 16 at most.
    const response = { status: 503, url: 'http://agent/x', authorization: 'Bearer s3cr3t' };
    logger.error('object', { error: new Error('x', { cause: response }) });
    assert.deepEqual((line().error as any).cause, { ...response, authorization: '[REDACTED]' });
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    logger.error('wide', { error: new Error('x', { cause: wide }) });
    assert.equal(Object.keys((line().error as any).cause).length, 16);
    const hostile = new Error('y');
    Object.defineProperty(hostile, 'cause', {
      get() {
        throw new Error('no');
      },
    });
    logger.error('hostile', { error: hostile });
    assert.equal((line().error as any).cause, undefined);
    assert.equal((line().error as any).message, 'y');
  });

  it("takes exception.file and line from the stack's frames, never from a frame-shaped line of the message", () => {
    const { logger, line } = setup({ stackTrace: 'trimmed', stackFrames: 1 });
    const name = 'x\n    at admin (/srv/app/auth.js:42:7)';
    const err = new Error(`unknown item ${name}`); // MADE HERE
    const made =
      readFileSync(__filename, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('// MADE HERE')) + 1;
    logger.error('failed', { error: err });
    const ex = line().exception as Record<string, unknown>;
    assert.equal(ex.file, __filename);
    assert.equal(ex.line, made);
    // 'trimmed' keeps the real top frames: the message's line is not counted as one.
    assert.match(String(ex.stack_trace), /auth\.js:42:7\)\n {4}at .*logger\.test\.ts/);
  });

  it("takes exception.file and line from a stack without a header, even where the message's text is in a frame", () => {
    const { logger, line } = setup({ stackTrace: 'trimmed', stackFrames: 1 });
    // A stack set by hand (frames only), and a message found inside its first frame.
    const err = Object.assign(new Error('loadConfig'), {
      stack: '    at loadConfig (/srv/app/config.js:10:3)\n    at main (/srv/app/main.js:20:5)',
    });
    logger.error('failed', { error: err });
    const ex = line().exception as Record<string, unknown>;
    assert.equal(ex.file, '/srv/app/config.js');
    assert.equal(ex.line, 10);
    assert.match(
      String(ex.stack_trace),
      /^ {4}at loadConfig \(\/srv\/app\/config\.js:10:3\)\n {4}… 1 more frames$/,
    );
  });

  it('gives exception.file as a path for an Error made in an ES module, as for CommonJS', () => {
    const fixture = path.join(__dirname, 'fixtures', 'esm-error.mjs');
    const out = execFileSync(process.execPath, [fixture], { encoding: 'utf8' });
    const ex = JSON.parse(out.trim()).exception as Record<string, unknown>;
    assert.match(String(ex.stack_trace), /at file:\/\/\//, 'the premise: a file URL in the stack');
    assert.equal(ex.file, fixture);
    assert.equal(ex.line, 6);
  });

  it('gives exception.file with its spaces, from a CommonJS path as from an ES module URL', () => {
    const { logger, line } = setup();
    const at = (frame: string) =>
      Object.assign(new Error('failed'), {
        stack: `Error: failed\n    at ${frame}\n    at x (/a.js:1:1)`,
      });
    const files: unknown[] = [];
    for (const frame of [
      'run (/srv/my jobs/run.js:3:9)',
      'run (file:///srv/my%20jobs/run.mjs:3:9)',
      'file:///srv/my%20jobs/run.mjs:3:9',
      'new Job (/srv/my jobs/job.js:3:9)',
      '/srv/jobs/run.js:3:9',
    ]) {
      logger.error('failed', { error: at(frame) });
      const ex = line().exception as Record<string, unknown>;
      files.push(`${String(ex.file)}:${String(ex.line)}`);
    }
    assert.deepEqual(files, [
      '/srv/my jobs/run.js:3',
      '/srv/my jobs/run.mjs:3',
      '/srv/my jobs/run.mjs:3',
      '/srv/my jobs/job.js:3',
      '/srv/jobs/run.js:3',
    ]);
  });

  it('gives exception.file whole from Windows and macOS frames: drive, UNC, spaces, parentheses', () => {
    const { logger, line } = setup();
    const cases: [frame: string, location: string][] = [
      ['handler (C:\\srv\\app\\routes.js:42:7)', 'C:\\srv\\app\\routes.js:42'],
      ['C:\\srv\\app\\index.js:3:1', 'C:\\srv\\app\\index.js:3'],
      // An inline callback's frame has no function name, so no parentheses around its path.
      ['C:\\Users\\Jane Doe\\app\\routes.js:42:7', 'C:\\Users\\Jane Doe\\app\\routes.js:42'],
      ['async C:\\Users\\Jane Doe\\app\\job.js:8:3', 'C:\\Users\\Jane Doe\\app\\job.js:8'],
      [
        'fn (C:\\Program Files (x86)\\app\\index.js:3:1)',
        'C:\\Program Files (x86)\\app\\index.js:3',
      ],
      ['C:\\Program Files (x86)\\app\\index.js:3:1', 'C:\\Program Files (x86)\\app\\index.js:3'],
      ['\\\\server\\share\\app.js:1:2', '\\\\server\\share\\app.js:1'],
      ['fn (\\\\server\\share\\my app\\app.js:1:2)', '\\\\server\\share\\my app\\app.js:1'],
      ['/Users/me/My Project/app.js:1:2', '/Users/me/My Project/app.js:1'],
      ['/Users/me/Project (copy)/app.js:1:2', '/Users/me/Project (copy)/app.js:1'],
      // As Node reads the URL on the platform it runs on: C:\srv\app\index.mjs on Windows.
      ['file:///C:/srv/app/index.mjs:3:1', `${fileURLToPath('file:///C:/srv/app/index.mjs')}:3`],
    ];
    const files: string[] = [];
    for (const [frame] of cases) {
      const err = new Error('failed');
      err.stack = `Error: failed\n    at ${frame}\n    at x (C:\\a.js:1:1)`;
      logger.error('failed', { error: err });
      const ex = line().exception as Record<string, unknown>;
      files.push(`${String(ex.file)}:${String(ex.line)}`);
    }
    assert.deepEqual(
      files,
      cases.map(([, location]) => location),
    );
  });

  it('leaves exception.line out of a frame whose line number has more digits than a number holds', () => {
    const { logger, line } = setup();
    const err = new Error('forged');
    err.stack = `Error: forged\n    at fn (/srv/app/a.js:${'9'.repeat(400)}:1)`;
    logger.error('failed', { error: err });
    const ex = line().exception as Record<string, unknown>;
    assert.equal(ex.file, '/srv/app/a.js');
    assert.equal('line' in ex, false);
  });

  it('gives exception.file of an inline callback in a folder named with spaces and parentheses', () => {
    const { logger, line } = setup();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'My Project (copy) '));
    try {
      const file = path.join(dir, 'app.js');
      writeFileSync(file, "module.exports = [1].map(() => new Error('x'))[0];\n");
      const err = require(file) as Error;
      assert.ok(
        err.stack!.includes(`\n    at ${file}:1:`),
        `the premise, V8's frame: ${err.stack}`,
      );
      logger.error('failed', { error: err });
      const ex = line().exception as Record<string, unknown>;
      assert.equal(ex.file, file);
      assert.equal(ex.line, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives exception.file of a frame whose function name holds ' (', as of any other", () => {
    const { logger, line } = setup();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'named-frames-'));
    try {
      const file = path.join(dir, 'routes.js');
      // A handler named after its route, as some frameworks name them.
      writeFileSync(
        file,
        "module.exports = { ['GET /users (list)']() { return new Error('x'); } }['GET /users (list)']();\n",
      );
      const err = require(file) as Error;
      assert.ok(
        err.stack!.includes(`\n    at GET /users (list) (${file}:1:`),
        `the premise, V8's frame: ${err.stack}`,
      );
      logger.error('failed', { error: err });
      const ex = line().exception as Record<string, unknown>;
      assert.equal(ex.file, file);
      assert.equal(ex.line, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes error.code from the error's HTTP status when it has no code of its own", () => {
    const { logger, line } = setup();
    // body-parser's parse failure: status and statusCode, no code.
    const parse = Object.assign(new SyntaxError('Unexpected token'), {
      status: 400,
      statusCode: 400,
    });
    logger.error('bad body', { error: parse });
    assert.deepEqual(line().error, {
      type: 'SyntaxError',
      code: 400,
      message: 'Unexpected token',
      category: 'client',
    });
    logger.error('upstream', { error: Object.assign(new Error('down'), { statusCode: 503 }) });
    assert.equal((line().error as Record<string, unknown>).code, 503);
  });

  it('recognises an Error made in another realm (vm), and no plain object as one', () => {
    const { logger, out } = setup();
    const foreign = vm.runInNewContext("Object.assign(new RangeError('from vm'), { code: 'EVM' })");
    assert.equal(foreign instanceof Error, false, 'the premise: instanceof fails across realms');
    logger.error('sandbox failed', { error: foreign });
    logger.info('looks like one', { error: { name: 'Error', message: 'plain', stack: 'x' } });
    const [fromVm, plain] = out.lines();
    assert.deepEqual(
      [
        (fromVm!.error as Record<string, unknown>).type,
        (fromVm!.error as Record<string, unknown>).code,
      ],
      ['RangeError', 'EVM'],
    );
    assert.equal((fromVm!.exception as Record<string, unknown>).class, 'RangeError');
    assert.deepEqual(plain!.error, { name: 'Error', message: 'plain', stack: 'x' });
    assert.equal(plain!.exception, undefined);
  });

  it('handles an Error as the message and as a splat argument', () => {
    const { logger, out } = setup();
    const err = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' });
    logger.error(err);
    logger.error('db down', err);
    const [asMessage, asSplat] = out.lines();
    assert.equal(asMessage!['@message'], 'connect refused');
    assert.deepEqual(asMessage!.error, {
      type: 'Error',
      code: 'ECONNREFUSED',
      message: 'connect refused',
      category: 'network',
    });
    assert.equal(asSplat!['@message'], 'db down connect refused');
    assert.equal((asSplat!.error as Record<string, unknown>).category, 'network');
    assert.equal(asSplat!.code, undefined, 'the error code is not repeated at top level');
  });

  it('keeps the whole stack in dev and trims it in prod', () => {
    function deep(n: number): Error {
      return n === 0 ? new Error('deep') : deep(n - 1);
    }
    const err = deep(30);
    const dev = setup({ environment: 'dev' });
    dev.logger.error('x', { error: err });
    const prod = setup({ environment: 'production' });
    prod.logger.error('x', { error: err });
    const frames = (l: Record<string, unknown>) =>
      String((l.exception as Record<string, unknown>).stack_trace)
        .split('\n')
        .filter((s) => s.trim().startsWith('at ')).length;
    assert.equal(frames(dev.line()), err.stack!.split('\n').length - 1);
    assert.equal(frames(prod.line()), 10);
    assert.match(
      String((prod.line().exception as Record<string, unknown>).stack_trace),
      /… \d+ more frames$/,
    );
    const none = setup({ stackTrace: 'none' });
    none.logger.error('x', { error: err });
    assert.equal((none.line().exception as Record<string, unknown>).stack_trace, undefined);
  });

  it('adds source{module, function, line} only when asked', () => {
    const off = setup();
    off.logger.info('x');
    assert.equal(off.line().source, undefined);
    const on = setup({ source: true });
    function handler() {
      on.logger.info('x');
    }
    handler();
    assert.deepEqual(Object.keys(on.line().source as object), ['module', 'function', 'line']);
    assert.equal((on.line().source as Record<string, unknown>).module, 'logger.test');
    assert.equal((on.line().source as Record<string, unknown>).function, 'handler');
  });

  it('names source.module of an ES module by its file name, spaces decoded', async () => {
    const on = setup({ source: true });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'source-esm-'));
    try {
      const file = path.join(dir, 'my module.mjs');
      writeFileSync(file, "export function run(logger) {\n  logger.info('from esm');\n}\n");
      const mod = (await import(pathToFileURL(file).href)) as {
        run(logger: unknown): void;
      };
      mod.run(on.logger);
      assert.deepEqual(on.line().source, { module: 'my module', function: 'run', line: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('absorbs injected trace_id/span_id/trace_flags into tracing{}', () => {
    const { logger, line } = setup();
    logger.info('x', {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
    });
    const l = line();
    assert.equal(l.tracking_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.deepEqual(l.tracing, {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
    assert.equal(l.trace_id, undefined);
    assert.equal(l.span_id, undefined);
    assert.equal(l.trace_flags, undefined);
  });

  it('applies extra formats first and gives extra transports the plain record', () => {
    const seen: Record<string, unknown>[] = [];
    class Memory extends Transport {
      override log(info: Record<string, unknown>, next: () => void) {
        seen.push({ ...info });
        next();
      }
    }
    const tag = format((info) => Object.assign(info, { tagged: true }))();
    const { logger, line } = setup({ formats: [tag], transports: [new Memory()] });
    logger.info('hello', { user_id: 'u1' });
    assert.equal(line().tagged, true);
    assert.equal(seen[0]!.message, 'hello');
    assert.equal(seen[0]!.tracking_id, 'unknown');
    assert.equal(seen[0]!.user_id, 'u1');
    assert.equal(seen[0]!['@message'], undefined);
  });

  it('writes pending lines when the logger is ended', async () => {
    const { logger, out } = setup({ sync: false });
    logger.info('last words');
    const finished = new Promise((resolve) => logger.on('finish', resolve));
    logger.end();
    await finished;
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['last words'],
    );
  });

  it('writes a line logged after logger.end() instead of crashing the process', async () => {
    const { logger, out } = setup({ sync: false });
    const errors: unknown[] = [];
    logger.on('error', (e) => errors.push(e));
    const finished = new Promise((resolve) => logger.on('finish', resolve));
    logger.end();
    await finished;
    // Without a listener, the stream's 'write after end' error would end the process.
    logger.removeAllListeners('error');
    logger.warn('shutting down', { in_flight: 1 });
    logger.log('error', 'late error');
    await tick();
    assert.deepEqual(
      out.lines().map((l) => [l['@message'], l['@level']]),
      [
        ['shutting down', 'WARN'],
        ['late error', 'ERROR'],
      ],
    );
    assert.deepEqual(errors, []);
  });

  it('writes lines logged after logger.close() or destroy() instead of keeping them unwritten', async () => {
    const { logger, out } = setup({ sync: false });
    logger.info('before');
    logger.close(); // winston unpipes every transport and leaves the stream open
    const child = logger.child({ component: 'shutdown' });
    for (let i = 0; i < 1000; i++) logger.info(`after ${i}`);
    child.warn('from a child');
    await tick();
    const lines = out.lines();
    assert.equal(lines.length, 1002);
    assert.equal(lines[1000]!['@message'], 'after 999');
    assert.equal(lines[1001]!.component, 'shutdown');
    const buffered = (logger as unknown as { _readableState: { length: number } })._readableState;
    assert.equal(buffered.length, 0, 'nothing left waiting in the stream');
    // A child's close() is the root's; destroy() then close() keeps the transports too.
    const viaChild = setup({ sync: false });
    viaChild.logger.child({ component: 'worker' }).close();
    viaChild.logger.info('after a child closed');
    const both = setup({ sync: false });
    both.logger.destroy();
    both.logger.close();
    both.logger.info('after destroy and close');
    await tick();
    assert.deepEqual(
      [...viaChild.out.lines(), ...both.out.lines()].map((l) => l['@message']),
      ['after a child closed', 'after destroy and close'],
    );
    const destroyed = setup({ sync: false });
    destroyed.logger.destroy();
    destroyed.logger.info('after destroy');
    await tick();
    assert.deepEqual(
      destroyed.out.lines().map((l) => l['@message']),
      ['after destroy'],
    );
  });

  it('writes an access record batched, in its place and at its own time, as it would at once', async () => {
    const record = () => ({
      message: 'GET /api/v1/items/7 - 200',
      request: { method: 'GET', path: '/api/v1/items/7', duration: 0.0042, ip: '127.0.0.1' },
      response: { status: 200, size: 11, content_type: 'application/json' },
      tracking_id: 'a'.repeat(32),
      [ACCESS]: true,
    });
    const lines = async (sync: boolean) => {
      let clock = CLOCK;
      const { logger, out } = setup({ sync, clock: () => clock });
      const emit = directWriter(logger);
      logger.info('before');
      emit('info', record());
      clock += 1000;
      logger.info('after');
      clock += 60_000;
      await tick();
      return out.raw();
    };
    const batched = await lines(false);
    assert.deepEqual(batched, await lines(true));
    assert.deepEqual(
      batched
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map((l) => [l['@message'], l['@timestamp']]),
      [
        ['before', '2026-01-31T10:30:45.123Z'],
        ['GET /api/v1/items/7 - 200', '2026-01-31T10:30:45.123Z'],
        ['after', '2026-01-31T10:30:46.123Z'],
      ],
    );
  });

  it('by default joins lines and writes them once per event-loop turn', async () => {
    const { logger, out } = setup({ sync: false });
    logger.info('a');
    logger.info('b');
    assert.equal(out.raw().length, 0);
    await tick();
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['a', 'b'],
    );
  });
});
