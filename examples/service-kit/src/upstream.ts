/** An upstream service answered with an error or could not be reached: the caller gets 502. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly status = 502;
  readonly expose = true;
  constructor(
    readonly service: string,
    readonly upstreamStatus: number | undefined,
    readonly code = 'upstream_failed',
  ) {
    super(
      `${service} ${upstreamStatus === undefined ? 'unreachable' : `answered ${upstreamStatus}`}`,
    );
  }
}

/**
 * POSTs JSON with plain fetch: trace context travels in `traceparent` on its own, injected by
 * the OpenTelemetry fetch (undici) instrumentation. Nothing here touches headers.
 */
export async function postJson<T>(
  service: string,
  url: string,
  body: unknown,
  timeoutMs = 5000,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw new UpstreamError(service, undefined, 'upstream_unreachable');
  }
  if (!response.ok) throw new UpstreamError(service, response.status);
  return (await response.json()) as T;
}
