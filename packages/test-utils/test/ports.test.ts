import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../src';

describe('freePort()', () => {
  it('hands out distinct ports below the ephemeral range that a server can then bind', async () => {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length, 'no port handed out twice');
    for (const port of ports) {
      assert.ok(port >= 10_000 && port < ephemeralLow!, `${port} below ${ephemeralLow}`);
    }
    const server = createServer();
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(ports[0], '127.0.0.1', ok);
    });
    await new Promise((ok) => server.close(ok));
  });
});
