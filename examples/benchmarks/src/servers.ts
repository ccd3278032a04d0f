import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Load } from './load';

/**
 * Load generator and servers on separate cores when the machine has two or more and `taskset`
 * exists: otherwise the kernel runs the woken load generator on the server's core in the middle
 * of its socket write, and a middleware's few microseconds of work show up as many more of
 * waiting (seen in CPU profiles as time inside writev). Pinned, a server has one core to itself,
 * as in a container with one CPU, and the ratios measure its own work. BENCH_PIN=0 turns it off.
 */
function pinning(): { server: string; client: string } | undefined {
  if (process.env.BENCH_PIN === '0' || os.availableParallelism() < 2) return undefined;
  try {
    // -a: every thread of this process (autocannon's and V8's), not only the main one.
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return { client: '0', server: '1' };
  } catch {
    return undefined;
  }
}
export const PIN = pinning();

/** Settings every harness command shares: connections per load and a process's warm-up. */
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);

export interface Server {
  variant: string;
  index: number;
  child: ChildProcess;
  url: string;
  loads: Load[];
}

/** Starts `variant`'s server; `nodeFlags` go to its node (e.g. `--cpu-prof`). */
export function start(variant: string, index: number, nodeFlags: string[] = []): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Started through taskset when pinned, so every thread the server ever has is on its core.
    const node = [...process.execArgv, ...nodeFlags, path.join(__dirname, 'server.js'), variant];
    const [command, args] = PIN
      ? ['taskset', ['-c', PIN.server, process.execPath, ...node]]
      : [process.execPath, node];
    // stdout is a pipe drained here, as a container runtime's is: variants that log to stdout
    // pay the write a deployed service pays (synchronous for pipes on Linux).
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.stdout!.resume();
    child.once('message', (m: { port: number }) =>
      resolve({
        variant,
        index,
        child,
        url: `http://127.0.0.1:${m.port}/api/v1/items/42`,
        loads: [],
      }),
    );
    child.once('exit', (code) => reject(new Error(`variant ${variant} exited with ${code}`)));
  });
}
