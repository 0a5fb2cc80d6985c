// What every interop script shares: the server URL, a deadline and the way to report.
// A script prints one JSON object on its last line of output; pytest reads and checks it.
import { createRequire } from 'node:module';
import { io } from 'socket.io-client';

export { io };
export const url = process.argv[2];
if (!url) {
  console.error('usage: node <script> <server url> [options]');
  process.exit(64);
}

// The client version actually loaded, so the tests can check it is the pinned one.
export const clientVersion = createRequire(import.meta.url)('socket.io-client/package.json').version;

// No scenario may hang: pytest also has a timeout, this one says where it stopped.
const deadline = setTimeout(() => {
  console.error('deadline reached: the scenario did not finish in 10 s');
  process.exit(3);
}, 10_000);

// The next `event` on `emitter`, as an array of its arguments.
export function next(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

// Connected, or the connect_error turned into an exception.
export function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

// Print the report, close every socket and leave once their goodbyes are sent (over
// polling that takes one more request), waiting 2 s at most.
export async function finish(report, ...sockets) {
  console.log(JSON.stringify({ clientVersion, ...report }));
  const engines = new Set(sockets.map((socket) => socket.io.engine));
  const closed = [...engines].filter((e) => e.readyState !== 'closed').map((e) => next(e, 'close'));
  for (const socket of sockets) socket.close();
  await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2000))]);
  process.exit(0);
}
