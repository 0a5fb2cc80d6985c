// One transport or the other, or polling first and the upgrade to websocket.
// usage: node transports.mjs <url> polling|websocket|upgrade
import { finish, io, next, url } from './lib.mjs';

const mode = process.argv[3];
const options = {
  polling: { transports: ['polling'] },
  websocket: { transports: ['websocket'] },
  upgrade: {},
}[mode];
if (!options) throw new Error(`unknown mode ${mode}`);

const socket = io(url, { auth: { name: `node-${mode}` }, ...options });
// The engine exists as soon as io() returns: its transport when it opens is the first one
// (the upgrade may well finish before the Socket.IO connect does).
const engine = socket.io.engine;
const upgraded = mode === 'upgrade' ? next(engine, 'upgrade') : null;
await next(engine, 'open');
const first = engine.transport.name;
await next(socket, 'connect');
if (upgraded) await upgraded;
const echo = await socket.emitWithAck('echo', `hello over ${mode}`);

await finish({ mode, first, last: socket.io.engine.transport.name, echo }, socket);
