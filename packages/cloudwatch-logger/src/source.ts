import path from 'node:path';

/** Set on the record by the logger-level format when `source` is on. */
export const SOURCE = Symbol.for('@ai-teams/cloudwatch-logger/source');

export interface SourceFields {
  module: string;
  function: string;
  line: number;
}

// Frames of the logging machinery itself, skipped to reach the caller.
const INTERNAL =
  /[\\/]node_modules[\\/](?:winston|logform|readable-stream|winston-transport|@opentelemetry|@dabh)[\\/]|[\\/]cloudwatch-logger[\\/](?:dist|src)[\\/]|\(node:|at node:/;
const FRAME = /^\s*at (?:(.+?) \()?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?$/;

/** The first frame outside winston and this package. One stack capture: not free. */
export function captureSource(): SourceFields | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    if (INTERNAL.test(line)) continue;
    const m = FRAME.exec(line);
    if (!m) continue;
    const file = m[2]!;
    return {
      module: path.basename(file).replace(/\.[cm]?[jt]s$/, ''),
      function: m[1] ?? '<anonymous>',
      line: Number(m[3]),
    };
  }
  return undefined;
}
