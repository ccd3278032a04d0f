import type { AddressInfo } from 'node:net';
import { variants } from './variants';

// Child process: one variant's server on an ephemeral loopback port, announced over IPC.
const variant = variants.find((v) => v.name === process.argv[2]);
if (!variant) throw new Error(`unknown variant ${process.argv[2]}`);
const server = variant.create().listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
