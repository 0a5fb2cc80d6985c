// Acknowledgements both ways, with timeouts on both sides.
import { connected, finish, io, url } from './lib.mjs';

const socket = io(url, { auth: { name: 'node' } });
socket.on('question', (text, ack) => ack(text.toUpperCase(), 'from node'));
socket.on('ignored', (_text, _ack) => {}); // receives the event, never acknowledges it
await connected(socket);

const sum = await socket.emitWithAck('add', 2, 3);
const viaCallback = await new Promise((resolve) => socket.emit('add', 40, 2, resolve));
const severalArgs = await new Promise((resolve) =>
  socket.emit('several', 'a', 1, (...args) => resolve(args)),
);

const started = Date.now();
const timeoutError = await new Promise((resolve) =>
  socket.timeout(300).emit('nobody answers', 'hello?', (err) => resolve(err?.message ?? null)),
);
const waited = Date.now() - started;
let rejected = null;
try {
  await socket.timeout(300).emitWithAck('nobody answers', 'hello again?');
} catch (err) {
  rejected = err.message;
}

// Now the server asks: it calls this client and reports what came back.
const serverSide = await socket.emitWithAck('ask me');

await finish(
  {
    sum,
    viaCallback,
    severalArgs,
    timeoutError,
    timedOutAfterAtLeast300ms: waited >= 300,
    rejected,
    serverSide,
  },
  socket,
);
