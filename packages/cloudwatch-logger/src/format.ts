import { format, type Logform } from 'winston';
import { enrich } from './context';
import { optionsObject } from './check';
import { renderConfig } from './config';
import { createRenderer } from './render';
import { SOURCE, captureSource } from './source';
import type { CloudwatchFormatOptions } from './types';

const MESSAGE = Symbol.for('message');

type Info = Logform.TransformableInfo & Record<string | symbol, unknown>;

/**
 * The CloudWatch line as a winston format, for teams with their own winston set-up: sets the
 * record's output (`info[MESSAGE]`) to one JSON object. Put it last, on the logger or on a
 * transport; with `createLogger()` it is not needed.
 */
export function cloudwatchFormat(options: CloudwatchFormatOptions): Logform.Format {
  optionsObject(options, 'cloudwatchFormat()');
  const render = createRenderer(renderConfig(options));
  return format((info) => {
    (info as Info)[MESSAGE] = render(info as Info);
    return info;
  })();
}

/**
 * Logger-level format of `createLogger()`: adds `tracking_id` and the request context to the
 * record while still in the caller's context, so every transport sees them.
 */
export function requestContextFormat(source: boolean): Logform.Format {
  return format((info) => {
    enrich(info as Info);
    if (source) (info as Info)[SOURCE] = captureSource();
    return info;
  })();
}
