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
