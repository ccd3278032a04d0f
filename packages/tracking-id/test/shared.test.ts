import assert from 'node:assert/strict';
import { shownValue, stackFrame, stackHeaderEnd } from '../src';

describe('shownValue()', () => {
  it('quotes a string and names an object, array or function by its kind, never its contents', () => {
    assert.deepEqual(
      ['x"y', 42, null, undefined, true, { secret: 1 }, ['a'], () => 1].map(shownValue),
      ['"x\\"y"', '42', 'null', 'undefined', 'true', 'an object', 'an array', 'a function'],
    );
  });
});

describe('stackHeaderEnd()', () => {
  it('ends after `Type: message`, a message of several lines included, as V8 writes a stack', () => {
    const err = new RangeError('line 1\n    at admin (/srv/app/auth.js:42:7)');
    const end = stackHeaderEnd(err.stack!, err.message);
    assert.equal(
      err.stack!.slice(0, end),
      'RangeError: line 1\n    at admin (/srv/app/auth.js:42:7)',
    );
    assert.match(err.stack!.slice(end), /^\n {4}at /);
  });

  it('takes a message alone at the start (an empty name) and is 0 without a header', () => {
    assert.equal(stackHeaderEnd('boom\n    at f (/a.js:1:1)', 'boom'), 4);
    // Set by hand: frames only, the message's text inside a frame, or an empty message.
    assert.equal(stackHeaderEnd('    at main (/srv/main.js:20:1)', 'main'), 0);
    assert.equal(stackHeaderEnd('    at f (/a.js:1:1)\nError: x', 'x'), 0);
    assert.equal(stackHeaderEnd('Error\n    at f (/a.js:1:1)', ''), 0);
    // The message followed by more text on its line is not the header's end.
    assert.equal(stackHeaderEnd('Error: boom and more\n    at f (/a.js:1:1)', 'boom'), 0);
  });
});

describe('stackFrame()', () => {
  it('reads the function, the whole file and the line of each frame shape V8 writes', () => {
    const read = (line: string) => stackFrame(line);
    assert.deepEqual(read('    at handler (/srv/app/routes.js:42:7)'), {
      function: 'handler',
      file: '/srv/app/routes.js',
      line: 42,
    });
    assert.deepEqual(read('    at async new Job (/Users/me/My Project (copy)/job.js:5:9)'), {
      function: 'new Job',
      file: '/Users/me/My Project (copy)/job.js',
      line: 5,
    });
    // No function name: the path is bare, its spaces and parentheses its own.
    assert.deepEqual(read('    at C:\\Program Files (x86)\\app\\index.js:3:1'), {
      file: 'C:\\Program Files (x86)\\app\\index.js',
      line: 3,
    });
    // A function name holding " (" (a route handler named by hand).
    assert.deepEqual(read('    at GET /users (list) (/srv/app/routes.js:1:53)'), {
      function: 'GET /users (list)',
      file: '/srv/app/routes.js',
      line: 1,
    });
    // An ES module's frame by URL reads as its path.
    assert.deepEqual(read('    at file:///srv/my%20app/main.mjs:3:1'), {
      file: '/srv/my app/main.mjs',
      line: 3,
    });
  });

  it('is undefined for lines that are not frames, and leaves out a line number past a number', () => {
    assert.equal(stackFrame('    at async Promise.all (index 0)'), undefined);
    assert.equal(stackFrame('Error: at x (/a.js:1:2)'), undefined);
    assert.equal(stackFrame('    at fn (/a.js:x:2)'), undefined);
    assert.deepEqual(stackFrame(`    at fn (/srv/a.js:${'9'.repeat(400)}:1)`), {
      function: 'fn',
      file: '/srv/a.js',
    });
  });
});
