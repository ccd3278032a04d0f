import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP JSON request as received. */
export interface OtlpRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** The status answered, once the answer has gone out. */
  status?: number;
}

/** How the receiver answers a request: a status, after a delay (a slow or failing collector). */
export interface OtlpAnswer {
  status: number;
  delayMs?: number;
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:43123 (exporters append /v1/traces etc.). */
  url: string;
  requests: OtlpRequest[];
  /** Spans of every /v1/traces request, flattened, with their resource attributes. */
  spans(): { resource: Record<string, unknown>; span: Record<string, any> }[];
  /** How many spans the /v1/traces requests answered with a 2xx carried. */
  acceptedSpans(): number;
  /** Requests to `path` received and not answered yet. */
  inFlight(path: string): number;
  /** The most requests to `path` unanswered at once. */
  mostInFlight(path: string): number;
  /** Log records of every /v1/logs request, flattened. */
  logRecords(): { resource: Record<string, unknown>; record: Record<string, any> }[];
  /** Resolves once `predicate` holds for the received requests (checked on each arrival). */
  waitFor(predicate: (r: OtlpRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function attributesOf(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of (list as { key: string; value: Record<string, unknown> }[]) ?? []) {
    out[key] = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue ?? value;
  }
  return out;
}

/**
 * A local stand-in for a collector's OTLP/HTTP receiver (JSON encoding), on loopback. `answer`
 * decides each request's status and delay: 200 at once unless it says otherwise.
 */
export function startOtlpReceiver(
  answer: (request: OtlpRequest) => OtlpAnswer = () => ({ status: 200 }),
): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const waiters = new Set<() => void>();
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { unparsed: Buffer.concat(chunks).length };
      }
      const request: OtlpRequest = { path: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      const { status, delayMs = 0 } = answer(request);
      const path = request.path;
      open.set(path, (open.get(path) ?? 0) + 1);
      most.set(path, Math.max(most.get(path) ?? 0, open.get(path)!));
      const notify = () => {
        for (const w of waiters) w();
      };
      const send = () => {
        open.set(path, open.get(path)! - 1);
        request.status = status;
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      };
      if (delayMs > 0) {
        setTimeout(() => {
          send();
          notify();
        }, delayMs);
      } else send();
      notify();
    });
  });
  const flatten = <T>(
    path: string,
    outer: string,
    scope: string,
    inner: string,
    wrap: (resource: Record<string, unknown>, item: Record<string, any>) => T,
    acceptedOnly = false,
  ): T[] =>
    requests
      .filter((r) => r.path === path && (!acceptedOnly || (r.status! >= 200 && r.status! < 300)))
      .flatMap((r) =>
        ((r.body[outer] as any[]) ?? []).flatMap((rs) =>
          ((rs[scope] as any[]) ?? []).flatMap((ss) =>
            ((ss[inner] as any[]) ?? []).map((item) =>
              wrap(attributesOf(rs.resource?.attributes), item),
            ),
          ),
        ),
      );
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        spans: () =>
          flatten('/v1/traces', 'resourceSpans', 'scopeSpans', 'spans', (resource, span) => ({
            resource,
            span,
          })),
        acceptedSpans: () =>
          flatten('/v1/traces', 'resourceSpans', 'scopeSpans', 'spans', (_, span) => span, true)
            .length,
        inFlight: (path) => open.get(path) ?? 0,
        mostInFlight: (path) => most.get(path) ?? 0,
        logRecords: () =>
          flatten('/v1/logs', 'resourceLogs', 'scopeLogs', 'logRecords', (resource, record) => ({
            resource,
            record,
          })),
        waitFor: (predicate, timeoutMs = 15_000) =>
          new Promise<void>((done, fail) => {
            const check = () => {
              if (!predicate(requests)) return;
              waiters.delete(check);
              clearTimeout(timer);
              done();
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(
                  `OTLP receiver: condition not met within ${timeoutMs} ms (${requests.length} requests: ${requests.map((r) => r.path).join(', ')})`,
                ),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
