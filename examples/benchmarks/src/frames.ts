/** A profile's call frame, as V8's CPU and sampling heap profilers both give it. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** `express`, `@opentelemetry/sdk-metrics`, `node:_http_server`, `packages/otel-metrics`, … */
export function packageOf({ url, functionName: fn }: CallFrame): string {
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const own = /\/((?:packages|examples)\/[^/]+)\//.exec(url);
  if (own) return own[1]!;
  if (url) return url;
  return fn.startsWith('(') ? fn : `(${fn || 'native'})`;
}

/** `startSpan @opentelemetry/sdk-trace/dist/Tracer.cjs:42`: a function and where it starts. */
export function functionOf({ functionName, url, lineNumber }: CallFrame): string {
  const where = url.replace(/.*node_modules\//, '').replace(/^.*\/(packages|examples)\//, '$1/');
  return `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
}

/** Rows of `amount` per request, largest first, the first `top` of them. */
export function table(
  rows: Map<string, number>,
  requests: number,
  top: number,
  digits = 2,
): string {
  return [...rows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, v]) => `${(v / requests).toFixed(digits).padStart(8)}  ${key}`)
    .join('\n');
}
