/** What went wrong with an upstream call, as the caller's `error.code`. */
export type UpstreamFailure =
  'upstream_unreachable' | 'upstream_timeout' | 'upstream_failed' | 'upstream_bad_response';

function describe(service: string, status: number | undefined, code: UpstreamFailure): string {
  if (code === 'upstream_unreachable') return `${service} unreachable`;
  if (code === 'upstream_timeout') return `${service} timed out`;
  if (code === 'upstream_failed') return `${service} answered ${status}`;
  return `${service} answered ${status} with a body that is not JSON or is too large`;
}

/**
 * An upstream service could not be reached or dropped the connection mid-answer (502), did not
 * answer in time (504), answered with an error status (502) or with a body that is not JSON or
 * too large (502). `cause` keeps the
 * original error (ECONNREFUSED, the JSON parse error): logs and spans show it.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly status: number;
  readonly expose = true;
  constructor(
    readonly service: string,
    readonly upstreamStatus: number | undefined,
    readonly code: UpstreamFailure = 'upstream_failed',
    options?: ErrorOptions,
  ) {
    super(describe(service, upstreamStatus, code), options);
    this.status = code === 'upstream_timeout' ? 504 : 502;
  }
}

export interface PostJsonOptions {
  /** The whole call, answer body included, after which it is abandoned. @default 5000 */
  timeoutMs?: number;
  /** The largest answer body read; a larger one is abandoned unread. @default 1 MiB */
  maxBytes?: number;
}

async function readJson(response: Response, maxBytes: number): Promise<unknown> {
  if (Number(response.headers.get('content-length')) > maxBytes) {
    throw new RangeError(`content-length is over ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the body, so the rest of it is never read.
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new RangeError(`body is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const isTimeout = (err: unknown) => err instanceof Error && err.name === 'TimeoutError';

/**
 * POSTs JSON with plain fetch: trace context travels in `traceparent` on its own, injected by
 * the OpenTelemetry fetch (undici) instrumentation. Nothing here touches headers. Every failure
 * is an UpstreamError, so the caller answers 502 or 504, never a 500 of its own.
 */
export async function postJson<T>(
  service: string,
  url: string,
  body: unknown,
  { timeoutMs = 5000, maxBytes = 1024 * 1024 }: PostJsonOptions = {},
): Promise<T> {
  const fail = (status: number | undefined, code: UpstreamFailure, cause?: unknown) =>
    new UpstreamError(service, status, code, { cause });
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw fail(undefined, isTimeout(err) ? 'upstream_timeout' : 'upstream_unreachable', err);
  }
  if (!response.ok) {
    await response.body?.cancel(); // not read: the connection is freed now
    throw fail(response.status, 'upstream_failed');
  }
  try {
    return (await readJson(response, maxBytes)) as T;
  } catch (err) {
    // The same signal covers the body: an upstream that stalls mid-answer times out too.
    if (isTimeout(err)) throw fail(undefined, 'upstream_timeout', err);
    // Not JSON, or too large: the answer's fault. Anything else is the connection's (reset or
    // closed mid-answer: undici's `terminated`).
    if (err instanceof SyntaxError || err instanceof RangeError) {
      throw fail(response.status, 'upstream_bad_response', err);
    }
    throw fail(undefined, 'upstream_unreachable', err);
  }
}
