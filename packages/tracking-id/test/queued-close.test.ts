import assert from 'node:assert/strict';
import { describeExpress, rawExchange, rawGet } from '@ai-teams/test-utils';
import { CLIENT_CLOSED } from '../src';
import { watchCloses } from './closes';

// Node before 24.16 never closes a response queued behind another on a pipelined connection
// when that connection closes; npm test runs this suite on Node 22.15.0 and 26.10.0 as well as
// on 24.
describeExpress('closeWhenConnectionCloses()', (createApp) => {
  it('closes a queued response once, also when its connection was destroyed before it ran', async () => {
    const app = createApp();
    app.use((req, _res, next) => {
      // A middleware that waits (auth, a cache) until the connection has been destroyed.
      if (req.path !== '/queued') return next();
      const wait = () => (req.socket.destroyed ? next() : setImmediate(wait));
      wait();
    });
    const { closes, statuses } = watchCloses(app);
    app.get('/hang', (_req, res) => {
      res.write('partial');
      setTimeout(() => res.destroy(), 20); // the app gives up on it: the connection goes
    });
    app.get('/queued', (_req, res) => {
      res.send('never sent');
    });
    await rawExchange(app, { send: rawGet('/hang') + rawGet('/queued'), responses: 2 });
    assert.deepEqual(closes, { '/hang': 1, '/queued': 1 });
    assert.equal(statuses['/queued'], CLIENT_CLOSED);
  });

  it('leaves a response that gets its turn to finish as usual, with one close each', async () => {
    const app = createApp();
    const { closes } = watchCloses(app);
    app.get('/a', (_req, res) => {
      setTimeout(() => res.send('a'), 20);
    });
    app.get('/b', (_req, res) => {
      res.send('b');
    });
    const received = await rawExchange(app, {
      send: rawGet('/a') + rawGet('/b'),
      responses: 2,
      client: (socket) => setTimeout(() => socket.end(), 200),
    });
    assert.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.deepEqual(closes, { '/a': 1, '/b': 1 });
  });

  it('cuts the connection when the turn of a queued response the app destroyed comes', async () => {
    const app = createApp();
    const { closes } = watchCloses(app);
    app.get('/a', (_req, res) => {
      setTimeout(() => res.send('a'), 30);
    });
    app.get('/b', (_req, res) => {
      res.destroy(); // queued behind /a: Node 24.16+ closes it at once and would not cut
    });
    app.get('/c', (_req, res) => {
      res.send('c');
    });
    const received = await rawExchange(app, {
      send: rawGet('/a') + rawGet('/b') + rawGet('/c'),
      responses: 3,
    });
    assert.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 1, received);
    assert.deepEqual(closes, { '/a': 1, '/b': 1, '/c': 1 });
  });
});
