import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { captureLines, tick } from '@ai-teams/test-utils';
import * as winston from 'winston';
import { format } from 'winston';
import { DEFAULT_REDACT, cloudwatchFormat, createLogger } from '../src';
import type { LoggerOptions } from '../src';
import { MAX_BUFFERED } from '../src/transport';

function setup(options: Partial<LoggerOptions> = {}) {
  const out = captureLines();
  const logger = createLogger({
    service: 'svc',
    environment: 'dev',
    stream: out.stream,
    sync: true,
    env: {},
    ...options,
  });
  return { out, logger, line: () => out.lines().at(-1)! };
}

function leafCount(v: unknown): number {
  if (v === null || typeof v !== 'object') return 1;
  return Object.values(v).reduce((n: number, x) => n + leafCount(x), 0);
}

describe('limits', () => {
  it('keeps at most maxFields leaf fields, core kept, the rest dropped in order and counted', () => {
    const { logger, line, out } = setup();
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i]));
    logger.info('wide', { user_id: 'u1', wide });
    const l = line();
    assert.equal(l['@message'], 'wide');
    assert.equal(l.service, 'svc');
    assert.equal(l.tracking_id, 'unknown');
    assert.deepEqual(l.user, { id: 'u1' });
    const kept = Object.keys(l.wide as object);
    assert.equal(kept[0], 'f0');
    assert.equal(kept.at(-1), `f${kept.length - 1}`, 'the first fields are kept, in order');
    const dropped = (l.log as Record<string, number>).dropped_fields!;
    assert.equal(kept.length + dropped, 5000);
    assert.equal(leafCount(l), 900 + 0, 'exactly maxFields leaves, including log.dropped_fields');
    logger.info('wide', { user_id: 'u1', wide });
    assert.equal(out.raw()[0]!.length, out.raw()[1]!.length, 'deterministic');
  });

  it('ends a long array at maxFields instead of padding it, so the line keeps its other fields', () => {
    const { logger, line } = setup();
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    logger.info('batch', { user_id: 'u1', order: 'o-77', items });
    const l = line();
    assert.deepEqual(l.user, { id: 'u1' });
    assert.equal(l.order, 'o-77');
    assert.equal(l.log && (l.log as Record<string, unknown>).truncated, undefined);
    const kept = l.items as unknown[];
    assert.deepEqual(kept.slice(0, 3), [0, 1, 2]);
    assert.equal(kept.includes(null), false, 'no null for a dropped item');
    assert.equal(kept.length + (l.log as Record<string, number>).dropped_fields!, 100_000);
    assert.equal(leafCount(l), 900);
    // Holes and undefined are nulls in the JSON: leaves, so the budget ends them too.
    logger.info('holes', { order: 'o-78', holes: new Array(1_000_000) });
    const h = line();
    assert.equal(h.order, 'o-78');
    assert.ok((h.holes as unknown[]).length < 900);
    assert.equal(leafCount(h), 900);
  });

  it('ends a long array of empty objects or arrays at maxFields too: each is a value of the line', () => {
    const { logger, line } = setup();
    for (const empty of [() => ({}), () => []]) {
      const items = Array.from({ length: 1_000_000 }, empty);
      logger.info('empties', { user_id: 'u1', order: 'o-79', items });
      const l = line();
      assert.deepEqual(l.user, { id: 'u1' });
      assert.equal(l.order, 'o-79');
      const log = l.log as Record<string, unknown>;
      assert.equal(log.truncated, undefined, 'not the last-resort line');
      const kept = l.items as unknown[];
      // The budget: the line's leaves and the empty values kept; the others counted, up to 100 000.
      assert.equal(kept.length + leafCount(l), 900);
      assert.equal(log.dropped_fields, 100_000);
    }
  });

  it('ends a wide object at maxFields too: its other values are counted, up to 100 000', () => {
    const { logger, line } = setup();
    const wide = Object.fromEntries(
      Array.from({ length: 200_000 }, (_, i) => [`k${i}`, { a: i, b: 'x' }]),
    );
    logger.info('wide', { user_id: 'u1', wide });
    const l = line();
    assert.deepEqual(l.user, { id: 'u1' });
    assert.equal(leafCount(l), 900);
    // Every key and nested value past the budget takes one of the 100 000 counts.
    const log = l.log as Record<string, number>;
    assert.ok(
      log.dropped_fields! >= 60_000 && log.dropped_fields! <= 100_000,
      `${log.dropped_fields}`,
    );
  });

  it('walks at most 900 values of an object given as the message, and keeps 16 of a source object', () => {
    const { logger, line } = setup();
    const values = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    logger.info({ message: values, order: 'o-80' });
    const l = line();
    assert.equal(l.order, 'o-80');
    const message = JSON.parse(l['@message'] as string) as Record<string, number>;
    assert.equal(Object.keys(message).length, 900);
    assert.equal(message.k899, 899);
    logger.info('located', { source: values, order: 'o-81' });
    const s = line();
    assert.equal(s.order, 'o-81');
    assert.equal((s.log as Record<string, unknown> | undefined)?.truncated, undefined);
    assert.equal(Object.keys(s.source as object).length, 16);
  });

  it('counts in log.dropped_fields the values an object message or a source object leave out', () => {
    const { logger, line } = setup();
    // 1000 short values: the message's JSON fits its length, so no cut marker says it lost any.
    const values = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    logger.info({ message: values });
    const m = line();
    assert.equal(Object.keys(JSON.parse(m['@message'] as string) as object).length, 900);
    assert.deepEqual(m.log, { dropped_fields: 100 });
    const source = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`s${i}`, i]));
    logger.info('located', { source });
    assert.deepEqual(line().log, { dropped_fields: 24 });
    logger.info('located', { source: { module: 'm', function: 'f', line: 3 } });
    assert.equal(line().log, undefined);
  });

  it('cuts a 5 MB string with a marker and stays under maxEventBytes', () => {
    const { logger, out, line } = setup();
    logger.info('big', { body: 'x'.repeat(5_000_000), note: 'kept' });
    const raw = out.raw()[0]!;
    assert.ok(Buffer.byteLength(raw) <= 262_144, `${Buffer.byteLength(raw)} bytes`);
    assert.match(String(line().body), /…\[truncated \d+ chars\]$/);
    assert.equal(line().note, 'kept');
    assert.equal((line().log as Record<string, unknown>).truncated, true);
  });

  it('counts bytes, not characters, for multi-byte text', () => {
    const { logger, out } = setup({ maxEventBytes: 4096 });
    logger.info('emoji', { text: '😀'.repeat(3000) });
    assert.ok(Buffer.byteLength(out.raw()[0]!) <= 4096);
    assert.equal(out.lines()[0]!['@message'], 'emoji');
  });

  it('falls back to a core-only line with a note when nothing else fits', () => {
    const { logger, line } = setup({ maxEventBytes: 1024, maxFields: 900 });
    const many = Object.fromEntries(
      Array.from({ length: 800 }, (_, i) => [`k${i}`, 'v'.repeat(60)]),
    );
    logger.warn('too much', many);
    const l = line();
    assert.equal(l['@message'], 'too much');
    assert.equal(l['@level'], 'WARN');
    assert.equal((l.log as Record<string, unknown>).truncated, true);
    assert.equal(l.k0, undefined);
  });
});

describe('hostile values', () => {
  it('never throws and never loses the line', () => {
    const { logger, out } = setup();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const hostile = {
      circular,
      big: 2n ** 70n,
      buf: Buffer.from('secret bytes'),
      nested: {
        get boom(): string {
          throw new Error('getter exploded');
        },
      },
      nothing: undefined,
      sym: Symbol('tag'),
      fn: () => 1,
      date: new Date(0),
      map: new Map([['a', 1]]),
      set: new Set([1, 2]),
      deep: JSON.parse('['.repeat(40) + ']'.repeat(40)),
    };
    logger.info('hostile', hostile);
    const topGetter = {
      get boom(): string {
        throw new Error('top getter');
      },
      ok: 1,
    };
    logger.info('top getter', topGetter);
    const lines = out.lines();
    assert.equal(lines.length, 2);
    const l = lines[0]!;
    assert.deepEqual(l.circular, { name: 'loop', self: '[Circular]' });
    assert.equal(l.big, (2n ** 70n).toString());
    assert.equal(l.buf, '[Buffer 12 bytes]');
    assert.deepEqual(l.nested, { boom: '[Throws: getter exploded]' });
    assert.equal('nothing' in l, false);
    assert.equal(l.sym, 'Symbol(tag)');
    assert.equal('fn' in l, false);
    assert.equal(l.date, '1970-01-01T00:00:00.000Z');
    assert.deepEqual(l.map, { a: 1 });
    assert.deepEqual(l.set, [1, 2]);
    assert.match(JSON.stringify(l.deep), /\[Depth limit\]/);
    assert.equal(lines[1]!.boom, '[Throws: top getter]');
    assert.equal(lines[1]!.ok, 1);
  });

  it('stays under the awslogs event size by default (262144 less 26 bytes)', () => {
    const { out, logger } = setup({ clock: () => 0 });
    logger.info('');
    const overhead = Buffer.byteLength(out.raw().at(-1)!);
    // A line of 262 130 bytes: whole under a 262 144 limit, split by awslogs.
    logger.info('x'.repeat(262_130 - overhead));
    const raw = out.raw().at(-1)!;
    assert.ok(Buffer.byteLength(raw) <= 262_118, `${Buffer.byteLength(raw)} bytes`);
  });

  it('keeps even the last-resort line under the smallest maxEventBytes', () => {
    const { out, logger } = setup({ maxEventBytes: 1024, service: 's'.repeat(2000) });
    logger.info('€'.repeat(2000), { a: '€'.repeat(2000), b: '€'.repeat(2000) });
    const raw = out.raw().at(-1)!;
    assert.ok(Buffer.byteLength(raw) <= 1024, `${Buffer.byteLength(raw)} bytes`);
    assert.equal((JSON.parse(raw).log as { truncated: boolean }).truncated, true);
  });

  it('keeps the last-resort line under the limit with escaped characters and a long tracking id', () => {
    const { out, logger } = setup({ maxEventBytes: 1024 });
    const meta: Record<string, string> = {};
    for (let i = 0; i < 200; i++) meta[`field_number_${i}`] = `v${i}`;
    logger.info('\u0001'.repeat(5000), { ...meta, tracking_id: '<'.repeat(64) });
    const raw = out.raw().at(-1)!;
    assert.ok(Buffer.byteLength(raw) <= 1024, `${Buffer.byteLength(raw)} bytes`);
  });

  it('writes a frozen call once even when another transport throws', () => {
    const { out, logger } = setup({
      transports: [
        new winston.transports.Stream({
          stream: captureLines().stream,
          format: format.printf((i) => (i as unknown as { user: { id: string } }).user.id),
        }),
      ],
    });
    assert.throws(() => logger.info('charged', Object.freeze({ component: 'billing' })));
    assert.deepEqual(
      out.lines().map((l) => l['@message']),
      ['charged'],
    );
  });

  it('keeps the line of an Error whose name getter throws, and logs a frozen object', () => {
    const { out, logger } = setup();
    const err = new Error('boom');
    Object.defineProperty(err, 'name', {
      get() {
        throw new Error('name getter');
      },
    });
    logger.error('failed', { error: err, order_id: 7 });
    const line = out.lines().at(-1)!;
    assert.equal(line.order_id, 7);
    assert.equal((line.error as { message: string }).message, 'boom');
    assert.equal(line.log, undefined, 'not a fallback line');
    logger.info(Object.freeze({ message: 'frozen', n: 1 }));
    assert.deepEqual([out.lines().at(-1)!['@message'], out.lines().at(-1)!.n], ['frozen', 1]);
  });

  it('keeps newlines and control characters inside one line', () => {
    const { logger, out } = setup();
    logger.info('line one\nline two\r\n\u0000\u001b[31m\u2028', { 'key\nwith newline': 'a\nb' });
    assert.equal(out.raw().length, 1);
    assert.equal(out.lines()[0]!['@message'], 'line one\nline two\r\n\u0000\u001b[31m\u2028');
    assert.equal(out.lines()[0]!['key\nwith newline'], 'a\nb');
  });
});

describe('redaction', () => {
  it('redacts credential keys at any depth, case-insensitively', () => {
    const { logger, line } = setup();
    logger.info('req', {
      headers: { Authorization: 'Bearer x', COOKIE: 'a=b', 'Set-Cookie': ['c'], 'X-Api-Key': 'k' },
      body: { user: { password: 'p', accessToken: 't', client_secret: 's', apiKey: 'k' } },
      usage: { tokens: 120, max_tokens: 1000 },
      password: 'top',
    });
    const l = line();
    assert.deepEqual(l.headers, {
      Authorization: '[REDACTED]',
      COOKIE: '[REDACTED]',
      'Set-Cookie': '[REDACTED]',
      'X-Api-Key': '[REDACTED]',
    });
    assert.deepEqual((l.body as Record<string, unknown>).user, {
      password: '[REDACTED]',
      accessToken: '[REDACTED]',
      client_secret: '[REDACTED]',
      apiKey: '[REDACTED]',
    });
    assert.deepEqual(l.usage, { tokens: 120, max_tokens: 1000 }, 'token counts are not secrets');
    assert.equal(l.password, '[REDACTED]');
  });

  it('redacts an object passed as the message and a source object', () => {
    const { out, logger } = setup();
    logger.info({ password: 'hunter2', headers: { authorization: 'Bearer abc' } });
    logger.warn([{ api_key: 'k-123' }] as never);
    logger.info('x', { source: { module: 'm', api_key: 'k-456' } });
    const text = out.raw().join('\n');
    assert.doesNotMatch(text, /hunter2|Bearer abc|k-123|k-456/);
    assert.equal(out.lines().length, 3);
  });

  it('takes a custom list, and false turns redaction off', () => {
    const custom = setup({ redact: [...DEFAULT_REDACT, 'ssn', /^card_/] });
    custom.logger.info('x', { ssn: '1', card_number: '2', password: '3', name: 'n' });
    assert.deepEqual(
      { ...custom.line(), '@timestamp': undefined },
      {
        ...custom.line(),
        '@timestamp': undefined,
        ssn: '[REDACTED]',
        card_number: '[REDACTED]',
        password: '[REDACTED]',
        name: 'n',
      },
    );
    const off = setup({ redact: false });
    off.logger.info('x', { password: 'visible' });
    assert.equal(off.line().password, 'visible');
  });
});

describe('cloudwatchFormat()', () => {
  it('renders the line into the record output for a team’s own winston set-up', () => {
    const f = format.combine(cloudwatchFormat({ service: 'own', clock: () => 0 }));
    const info = f.transform({ level: 'info', message: 'hi', user_id: 'u' }) as Record<
      string | symbol,
      unknown
    >;
    const line = JSON.parse(String(info[Symbol.for('message')]));
    assert.deepEqual(line, {
      '@timestamp': '1970-01-01T00:00:00.000Z',
      '@level': 'INFO',
      '@message': 'hi',
      service: 'own',
      tracking_id: 'unknown',
      user: { id: 'u' },
    });
  });

  it('names the option when service is missing', () => {
    assert.throws(() => cloudwatchFormat({} as never), /`service` option is required/);
    assert.throws(() => createLogger({ service: '' }), /`service` option is required/);
  });
});

describe('a failing or stuck stream', () => {
  it('does not end the process when the stream fails, and says so once', async () => {
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      },
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${(w as { code?: string }).code}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const logger = createLogger({ service: 'svc', stream: failing, env: {} });
      logger.info('one');
      await tick();
      logger.info('two');
      await tick();
      await tick();
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, [
      'AI_TEAMS_LOG_STREAM: log lines could not be written: no space left on device',
    ]);
  });

  it('drops lines past 8 MB unwritten, then says how many were dropped', async () => {
    const pending: (() => void)[] = [];
    const written: string[] = [];
    const stuck = new Writable({
      highWaterMark: 16_384,
      write(chunk: Buffer, _enc, cb) {
        written.push(chunk.toString());
        pending.push(cb);
      },
    });
    const logger = createLogger({ service: 'svc', stream: stuck, env: {} });
    const line = 'y'.repeat(60_000);
    for (let i = 0; i < 300; i++) logger.info(line, { i });
    await tick();
    assert.ok(stuck.writableLength <= MAX_BUFFERED + 200_000, `${stuck.writableLength} bytes held`);
    // The consumer catches up.
    while (pending.length > 0 || stuck.writableLength > 0) {
      pending.shift()?.();
      await tick();
    }
    logger.info('after');
    await tick();
    while (pending.length > 0) pending.shift()!();
    await tick();
    const lines = written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const note = lines.find((l) => (l.log as { dropped_lines?: number })?.dropped_lines);
    assert.ok(note, 'a line says lines were dropped');
    const dropped = (note.log as { dropped_lines: number }).dropped_lines;
    const kept = lines.filter((l) => typeof l.i === 'number').length;
    assert.equal(kept + dropped, 300, 'every line written or counted');
    assert.ok(dropped > 0);
    assert.equal(lines.at(-1)!['@message'], 'after');
  });
});

describe('process exit with a slow stdout pipe', () => {
  it('writes the held lines at exit: only the chunk Node was writing is lost, and no line is mixed', async () => {
    const count = 5000;
    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'fixtures', 'exit-child.cjs'), String(count)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    // A reader slower than the writer: the pipe fills and Node holds the rest.
    child.stdout!.on('data', (data: Buffer) => {
      text += data.toString();
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 5);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const lines = text.split('\n').filter(Boolean);
    const numbers: number[] = [];
    const invalid: string[] = [];
    for (const line of lines) {
      try {
        numbers.push(Number(String(JSON.parse(line)['@message']).split(' ')[1]));
      } catch {
        invalid.push(line);
      }
    }
    assert.ok(invalid.length <= 1, `${invalid.length} lines are not JSON`);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(numbers.at(-1), count - 1, 'the last line arrived');
    // At most the rest of one 64 KB chunk (about 300 of these lines) is lost.
    assert.ok(numbers.length >= count - 400, `${numbers.length} of ${count} lines`);
  });
});
