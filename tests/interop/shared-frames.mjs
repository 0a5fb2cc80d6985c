// Broadcasts of every frame size reach several official clients, each in order.
// Usage: node shared-frames.mjs URL COUNT: three sockets connect, the first asks the server
// to broadcast; each reports the 'n' events it received once COUNT have arrived.
import { connected, finish, io, url } from './lib.mjs';

const count = Number(process.argv[3]);
const sockets = [];
for (const name of ['js-a', 'js-b', 'js-c']) {
  sockets.push(await connected(io(url, { auth: { name }, transports: ['websocket'], forceNew: true })));
}
const inboxes = sockets.map(() => []);
const all = sockets.map(
  (socket, i) =>
    new Promise((resolve) =>
      socket.on('n', (n, body) => {
        const kind = Buffer.isBuffer(body) ? 'bytes' : typeof body;
        inboxes[i].push([n, kind, Buffer.isBuffer(body) ? [...body] : body.length]);
        if (inboxes[i].length === count) resolve();
      }),
    ),
);
await sockets[0].emitWithAck('broadcast please');
await Promise.all(all);
await finish({ inboxes }, ...sockets);
