// Namespaces: /admin has a middleware (its connect handler) that refuses some clients.
// Sockets on one URL share a single Engine.IO connection (multiplexing).
import { connected, finish, io, next, url } from './lib.mjs';

const main = await connected(io(url, { auth: { name: 'node' } }));
const admin = await connected(io(`${url}/admin`, { auth: { name: 'node', token: 'admin' } }));
const whereAmI = await admin.emitWithAck('where am i');

async function refusal(namespace, auth) {
  const socket = io(`${url}${namespace}`, { auth, forceNew: true, reconnection: false });
  const [err] = await next(socket, 'connect_error');
  socket.close();
  return { message: err.message, data: err.data ?? null, active: socket.active };
}

await finish(
  {
    multiplexed: main.io === admin.io && main.io.engine.id !== undefined,
    ids: { differ: main.id !== admin.id },
    whereAmI,
    wrongToken: await refusal('/admin', { name: 'eve', token: 'guess' }),
    banned: await refusal('/admin', { name: 'banned', token: 'admin' }),
    unknown: await refusal('/nowhere', { name: 'node' }),
  },
  main,
  admin,
);
