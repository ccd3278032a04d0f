import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

// Preloaded into a server by `npm run bench:alloc` (`--require`): V8's sampling heap profiler,
// started and stopped over the server's IPC channel, so only the measured load is in the profile.
// Objects the garbage collector has already freed are kept in it: the profile is what was
// allocated, not what is still alive.

interface Command {
  alloc?: 'start' | 'stop';
  file?: string;
}

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');

process.on('message', (m: Command) => {
  if (m.alloc === 'start') {
    session.post(
      'HeapProfiler.startSampling',
      {
        samplingInterval: Number(process.env.ALLOC_INTERVAL ?? 512),
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      } as never,
      () => process.send?.({ alloc: 'started' }),
    );
  } else if (m.alloc === 'stop' && m.file) {
    const file = m.file;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) writeFileSync(file, JSON.stringify(result.profile));
      process.send?.({ alloc: err ? 'failed' : 'stopped' });
    });
  }
});
