// Connect with `auth`: the server reads it in its connect handler, and refuses a bad token.
import { connected, finish, io, next, url } from './lib.mjs';

const socket = await connected(io(url, { auth: { name: 'node', token: 'let me in' } }));
const whoami = await socket.emitWithAck('whoami');

const refused = io(url, {
  auth: { name: 'mallory', token: 'wrong' },
  forceNew: true,
  reconnection: false,
});
const [err] = await next(refused, 'connect_error');

await finish(
  {
    connected: socket.connected,
    whoami,
    sameId: whoami.sid === socket.id,
    refused: { connected: refused.connected, message: err.message, data: err.data },
  },
  socket,
  refused,
);
