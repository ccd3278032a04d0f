import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';

/** Ports handed out by this process, so two servers started from it never get the same one. */
const handedOut = new Set<number>();

/** The kernel's range for the local ports of outgoing connections (Linux's default if unread). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux, or no /proc: the usual range
  }
  return [32768, 60999];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const probe = createNetServer();
    probe.once('error', () => ok(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok(true)));
  });
}

/**
 * A loopback port free to listen on, for a process started later (whose command line or config
 * file must name it). Taken below the ephemeral range: a port the kernel hands out for
 * `listen(0)` is in that range, and an outgoing connection could take it as its local port
 * before the process binds it, which once made the stack test's Prometheus fail with "address
 * already in use".
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = ephemeralLow - 1;
  if (high - low < 1000) throw new Error(`ephemeral port range starts at ${ephemeralLow}: too low`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${low}-${high} after 100 tries`);
}
