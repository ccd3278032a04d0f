import { fileURLToPath } from 'node:url';

/**
 * Small pieces the packages of this project share, exported for them (and for middleware
 * authors): one copy, so their messages and their reading of stacks stay alike.
 */

/**
 * How a set-up error names a wrong option value: a string quoted, an array, a function or an
 * object by its kind (never their contents), anything else as `String()` gives it.
 */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return value === null || typeof value !== 'object' ? String(value) : 'an object';
}

/** The header's `Type` is at most a short name long, on the stack's first line. */
const MAX_HEADER_PREFIX = 256;

/**
 * Where a V8 stack's header ends, 0 when the stack has none. V8 starts a stack with
 * `Error.prototype.toString()`: `name: message` (`message` alone when the name is empty), ended
 * by a line break or the stack's end; the message may span lines, and one holding client text
 * may hold a frame-shaped line (`\n    at admin (/srv/auth.js:1:1)`) that must not be read as a
 * frame. Found anywhere else (inside a frame of a stack set by hand), the message is not a
 * header, and the stack is read from its first line.
 */
export function stackHeaderEnd(stack: string, message: string): number {
  if (message === '') return 0;
  const ends = (at: number) => {
    const end = at + message.length;
    return end === stack.length || stack.charCodeAt(end) === 10 ? end : 0;
  };
  if (stack.startsWith(message) && ends(0) !== 0) return ends(0);
  const colon = stack.indexOf(`: ${message}`);
  if (colon === -1 || colon > MAX_HEADER_PREFIX || stack.lastIndexOf('\n', colon) !== -1) return 0;
  return ends(colon + 2);
}

/** Longer than any real path: a location this long is not read as one. */
const MAX_LOCATION = 1024;
const DIGITS = /^\d+$/;

/** How a location V8 writes in parentheses begins: a path, a URL, or V8's own words. */
const LOCATION_START =
  /^(?:[/\\]|[A-Za-z]:[/\\]|[a-z][a-z0-9+.-]*:|<anonymous>|eval at |native|index \d)/;

/**
 * Where `fn (LOCATION)` opens its location: the first ` (` followed by what begins one, as a
 * function name may hold ` (` too (a computed method name, a `name` set by hand), and so may
 * the path; else the first ` (`. Each test is a few characters: linear in the line.
 */
function locationOpen(text: string): number {
  const first = text.indexOf(' (');
  for (let i = first; i !== -1; i = text.indexOf(' (', i + 2)) {
    if (LOCATION_START.test(text.slice(i + 2, i + 14))) return i;
  }
  return first;
}

/**
 * A frame's file as a path: V8 names an ES module's frames by `file://` URL (a space as `%20`),
 * a CommonJS module's by path, and both should read the same.
 */
function framePath(file: string): string {
  if (!file.startsWith('file://')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file; // not a URL Node can turn into a path (another host): kept as it is
  }
}

/** One frame of a V8 stack, as `stackFrame()` reads it. */
export interface StackFrame {
  /** The function's name as V8 writes it (`handler`, `new Job`, `Object.<anonymous>`). */
  function?: string;
  /** A path, an ES module's `file://` URL read as one. */
  file: string;
  /** Left out where the digits are more than a line number can be (a forged frame). */
  line?: number;
}

/**
 * The function, file and line of a V8 frame line: `at fn (LOCATION)`, or `at LOCATION` for a
 * frame without a function name (an inline callback, an ES module's top level), either after
 * `async `, where LOCATION is `file:line:column`. The file is all the text before
 * `:line:column`, so it keeps its spaces and parentheses (`C:\Users\Jane Doe\app\routes.js`,
 * `/Users/me/My Project/app.js`, `C:\Program Files (x86)\app\index.js`), which V8 writes as they
 * are. Undefined for a line that is not one (`at async Promise.all (index 0)`). Read with string
 * searches: one pass over a line of any length (a message can put any text after an `at `).
 * cloudwatch-logger's `exception.file`/`line` and error-span-events' `log.module`/`function`/
 * `line` are this reading.
 */
export function stackFrame(frame: string): StackFrame | undefined {
  let location = frame.trim();
  if (!location.startsWith('at ')) return undefined;
  location = location.slice('at '.length);
  if (location.startsWith('async ')) location = location.slice('async '.length);
  let name: string | undefined;
  if (location.endsWith(')')) {
    const open = locationOpen(location);
    if (open === -1) return undefined;
    name = location.slice(0, open);
    location = location.slice(open + 2, -1);
  }
  const column = location.lastIndexOf(':');
  const line = column > 0 ? location.lastIndexOf(':', column - 1) : -1;
  if (line <= 0 || line > MAX_LOCATION) return undefined;
  const number = location.slice(line + 1, column);
  if (!DIGITS.test(number) || !DIGITS.test(location.slice(column + 1))) return undefined;
  const read: StackFrame = { file: framePath(location.slice(0, line)) };
  const n = Number(number);
  if (Number.isSafeInteger(n)) read.line = n;
  if (name) read.function = name;
  return read;
}
