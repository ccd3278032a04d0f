import assert from 'node:assert/strict';
import { shownValue, stackHeaderEnd } from '../src';

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
