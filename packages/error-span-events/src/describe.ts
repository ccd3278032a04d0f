import path from 'node:path';
import { types } from 'node:util';
import { stackFrame, stackHeaderEnd } from '@ai-teams/tracking-id';

/** What is kept of a thrown or logged value: bounded strings only. */
export interface DescribedError {
  /** `error.type`: the name of the Error (or its class), `UnknownError` for anything else. */
  type: string;
  message: string;
  stack: string | undefined;
  /**
   * The stack after its header (`Type: message`), where `topFrame()` looks: a message holding
   * client text must not name the source location (`\n    at admin (/srv/auth.js:1:1)`).
   */
  frames: string | undefined;
  /** Where the dedup of `recordException` keys: the thrown object, or this description. */
  key: object;
  /** The value as thrown, for `errorHandler()` (status, expose, code). */
  original: unknown;
}

export interface Limits {
  maxMessageLength: number;
  maxStackLength: number;
}

export const DEFAULT_LIMITS: Limits = { maxMessageLength: 1024, maxStackLength: 8192 };

export const UNKNOWN_ERROR = 'UnknownError';
/**
 * Longest `error.type`, error code and source location kept. They come from the thrown value
 * (`err.name`, `err.code`, a record's `source`), so nothing else bounds them.
 */
export const MAX_NAME_LENGTH = 256;
const UNKNOWN_MESSAGE = 'Unknown error';

export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - 1);
  // Not between the two halves of a surrogate pair (an emoji): that would leave a lone half.
  const last = value.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  // Copied: a slice of a long string is a view that keeps the whole of it alive, for as long
  // as the span holding the cut waits in the export queue.
  return Buffer.from(`${value.slice(0, end)}…`, 'utf16le').toString('utf16le');
}

/** `value instanceof Error`, false when even that throws (a revoked proxy). */
export function isError(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false;
  try {
    // An Error made in another realm (a vm context, a test sandbox) fails instanceof.
    return value instanceof Error || types.isNativeError(value);
  } catch {
    return false; // a proxy whose prototype trap throws (a revoked one)
  }
}

/** `value[key]`, undefined when reading it throws (a getter, a proxy). */
export function read(value: unknown, key: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function errorType(err: Error): string {
  const name = read(err, 'name');
  if (typeof name === 'string' && name && name !== 'Error') return name;
  // A subclass that forgot to set `name` still says what it is through its constructor.
  const ctor = read(read(err, 'constructor'), 'name');
  return typeof ctor === 'string' && ctor && ctor !== 'Object' ? ctor : 'Error';
}

function messageOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const message = read(value, 'message');
    if (typeof message === 'string') return message;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      try {
        return Object.prototype.toString.call(value);
      } catch {
        return UNKNOWN_MESSAGE;
      }
    }
  }
  try {
    return String(value);
  } catch {
    return UNKNOWN_MESSAGE;
  }
}

/**
 * Any thrown value — Error, string, plain object, null — as bounded strings. Never throws: a
 * property whose getter throws reads as missing, a value that cannot even be turned into a
 * string gives "Unknown error".
 */
export function describeError(value: unknown, limits: Limits): DescribedError {
  const error = isError(value);
  const rawStack = error ? read(value, 'stack') : undefined;
  const stack = typeof rawStack === 'string' ? rawStack : undefined;
  const message = messageOf(value);
  const described: DescribedError = {
    type: error ? truncate(errorType(value), MAX_NAME_LENGTH) : UNKNOWN_ERROR,
    message: truncate(message, limits.maxMessageLength),
    stack: stack === undefined ? undefined : truncate(stack, limits.maxStackLength),
    frames: framesOf(stack, message, limits),
    key: {},
    original: value,
  };
  described.key = value !== null && typeof value === 'object' ? value : described;
  return described;
}

/**
 * Of a V8 stack, the part after the header `Type: message` (the message may span lines), cut
 * like the stack. A stack that does not start with its message (a rewritten one) is kept whole.
 */
function framesOf(stack: string | undefined, message: string, limits: Limits): string | undefined {
  if (stack === undefined) return undefined;
  const from = stackHeaderEnd(stack, message);
  if (from === 0) return truncate(stack, limits.maxStackLength);
  const frames = stack.slice(from);
  // Copied when not cut (truncate() copies what it cuts): a slice keeps the whole stack alive.
  return frames.length > limits.maxStackLength
    ? truncate(frames, limits.maxStackLength)
    : Buffer.from(frames, 'utf16le').toString('utf16le');
}

/** A record that went through `format.errors()` keeps only the stack: its first line names the type. */
export function describeStack(stack: string, message: string, limits: Limits): DescribedError {
  const head = /^([A-Za-z_$][\w$]*)(?::|$)/.exec(stack);
  const described: DescribedError = {
    type: head ? truncate(head[1]!, MAX_NAME_LENGTH) : UNKNOWN_ERROR,
    message: truncate(message, limits.maxMessageLength),
    stack: truncate(stack, limits.maxStackLength),
    frames: framesOf(stack, message, limits),
    key: {},
    original: undefined,
  };
  described.key = described;
  return described;
}

export interface Frame {
  module: string;
  function?: string;
  line?: number;
}

const cwd = process.cwd() + path.sep;

/** The top frame of a V8 stack, file relative to the working directory when under it. */
export function topFrame(stack: string | undefined): Frame | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const read = stackFrame(line);
    if (!read) continue;
    const file = read.file.startsWith(cwd) ? read.file.slice(cwd.length) : read.file;
    const frame: Frame = { module: truncate(file, MAX_NAME_LENGTH) };
    if (read.line !== undefined) frame.line = read.line;
    if (read.function) frame.function = truncate(read.function, MAX_NAME_LENGTH);
    return frame;
  }
  return undefined;
}
