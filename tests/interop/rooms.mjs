// Rooms: three JavaScript clients join rooms through the server, then talk to a room.
// Who receives what is collected until the server's end-of-round marker arrives: one
// connection keeps its order, so the marker comes after everything sent before it.
import { connected, finish, io, next, url } from './lib.mjs';

const names = ['ann', 'ben', 'cy'];
const sockets = {};
const received = {};
for (const name of names) {
  const socket = io(url, { auth: { name }, forceNew: true, transports: ['websocket'] });
  received[name] = [];
  socket.on('said', (text) => received[name].push(text));
  sockets[name] = await connected(socket);
}

async function round(sender, room, text) {
  const ends = names.map((name) => next(sockets[name], 'end of round'));
  await sockets[sender].emitWithAck('say', { room, text });
  await sockets[sender].emitWithAck('end round');
  await Promise.all(ends);
}

const rooms = {
  ann: await sockets.ann.emitWithAck('join', 'red'),
  ben: await sockets.ben.emitWithAck('join', 'red'),
  cy: await sockets.cy.emitWithAck('join', 'blue'),
};
await round('ann', 'red', 'ann to red');
await sockets.ben.emitWithAck('leave', 'red');
await round('cy', 'red', 'cy to red, from outside it');

await finish({ rooms, received }, ...Object.values(sockets));
