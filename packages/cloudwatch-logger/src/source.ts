import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set on the record by the logger-level format when `source` is on. */
export const SOURCE = Symbol.for('@ai-teams/cloudwatch-logger/source');

export interface SourceFields {
  module: string;
  function: string;
  line: number;
}

// Files of the logging machinery itself, skipped to reach the caller.
const INTERNAL =
  /^node:|[\\/]node_modules[\\/](?:winston|logform|readable-stream|winston-transport|@opentelemetry|@dabh)[\\/]|[\\/]cloudwatch-logger[\\/](?:dist|src)[\\/]/;

function callSites(): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  // Structured call sites: no stack string is formatted, which is most of a capture's cost.
  Error.prepareStackTrace = (_err, sites) => sites;
  Error.stackTraceLimit = 40;
  const holder: { stack?: unknown } = {};
  try {
    Error.captureStackTrace(holder, callSites);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** An ES module's `file://` URL as its path (`my module`, not `my%20module`); others as they are. */
function filePath(file: string): string {
  if (!file.startsWith('file:')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file;
  }
}

/** The first frame outside winston and this package. One stack capture: not free. */
export function captureSource(): SourceFields | undefined {
  try {
    for (const site of callSites()) {
      const file = site.getFileName() ?? site.getScriptNameOrSourceURL?.() ?? '';
      if (file === '' || INTERNAL.test(file)) continue;
      return {
        module: path.basename(filePath(file)).replace(/\.[cm]?[jt]s$/, ''),
        function: site.getFunctionName() ?? site.getMethodName() ?? '<anonymous>',
        line: site.getLineNumber() ?? 0,
      };
    }
  } catch {
    // a stack that cannot be read: no source rather than no line
  }
  return undefined;
}
