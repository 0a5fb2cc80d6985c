// Connection state recovery with the official client, run the same way on Node's socket.io
// server and on chatlib's (tests/test_recovery_node.py compares the two reports).
//
// Usage: node recovery.mjs <url> <websocket|polling> <window in ms>
// A "subject" socket joins room1 and gets one event (so it holds an offset); a "control"
// socket, on its own connection, asks the server for the broadcasts. Three rounds:
//   cut         its transport is cut (socket.io.engine.close()), 4 events go out, it reconnects
//   too late    the same, but it reconnects only after the window
//   on purpose  socket.disconnect(), 4 events, socket.connect()
// For each: recovered, same id, rooms, data and recovered as the server saw them, and every
// "news" received from the cut to the first live event after reconnecting.
import { connected, finish, io, next, url } from './lib.mjs';

const transport = process.argv[3];
const windowMs = Number(process.argv[4]);
const options = { transports: [transport], reconnectionDelay: 400, randomizationFactor: 0 };
const subject = io(url, { ...options, auth: { name: 'subject' } });
const control = io(url, { ...options, auth: { name: 'control' }, forceNew: true });
await Promise.all([connected(subject), connected(control)]);

let received = [];
subject.on('news', (text) => received.push(text));

async function news(text) {
  const arrived = new Promise((resolve) => {
    const check = () => (received.includes(text) ? resolve() : setTimeout(check, 10));
    check();
  });
  await control.emitWithAck('send', { to: 'everyone', text });
  await arrived;
}

await subject.emitWithAck('join', 'room1');
await news('welcome');

async function round(label, leave, come_back) {
  const id = subject.id;
  received = [];
  const gone = next(subject, 'disconnect');
  leave();
  await gone;
  for (const to of ['everyone', 'room1', 'room2', id]) {
    await control.emitWithAck('send', { to, text: `${label}: to ${to === id ? 'its id' : to}` });
  }
  const back = next(subject, 'connect');
  come_back();
  await back;
  const recovered = subject.recovered;
  const { rooms, data, recovered: serverRecovered } = await subject.emitWithAck('whoami');
  await news(`${label}: live`);
  return { label, recovered, serverRecovered, sameId: subject.id === id, rooms, data, received };
}

const rounds = [];
rounds.push(await round('cut', () => subject.io.engine.close(), () => {}));
subject.io.reconnectionDelay(windowMs + 600);
rounds.push(await round('too late', () => subject.io.engine.close(), () => {}));
subject.io.reconnectionDelay(400);
rounds.push(await round('on purpose', () => subject.disconnect(), () => subject.connect()));
await finish({ rounds }, subject, control);
