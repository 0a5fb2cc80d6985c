// Connection state recovery across two chat nodes behind nginx, with the official client.
//
// Usage: node recovery-nodes.mjs <nginx url> <node B url> <address to A> <address to B> <window ms>
//        <websocket|polling> <process id of node A>
// The nodes run `python -m chatlib serve --redis … --topics room1,room2 --recovery …`; nginx's
// ip_hash sends a client to a node by its address, so the "subject" reaches node A through
// nginx from <address to A>. Three "senders" talk to node B directly: one in no room (its
// chat messages go to everyone), one in room1, one in room2.
// The subject uses <transport> only; its requests leave from an address set on its HTTP agent.
// Two rounds, each: the subject's transport is cut (socket.io.engine.close()), its address
// changes (a phone moving from Wi-Fi to mobile data), the senders send, it reconnects
// through nginx and so to the other node; then it sends "<label>: back" to its rooms.
//   moved       A → B within the window: its session and what it missed come from Redis
//   too late    B → A after the window
//   A stopped   node A gets Ctrl+C (SIGINT) and hands its clients over: the subject keeps its
//               address, and nginx, finding A gone, sends it to B
// Reported per round: recovered, same id, its rooms as the server answers, and every chat
// message received from the cut until its own "back" came round.
import http from 'node:http';
import { connected, finish, io, next, url } from './lib.mjs';

const [nodeB, toA, toB] = process.argv.slice(3, 6);
const windowMs = Number(process.argv[6]);
const transport = process.argv[7];
const nodeAProcess = Number(process.argv[8]);
const options = { transports: [transport], reconnectionDelay: 400, randomizationFactor: 0 };
// Every HTTP request (and the WebSocket's) leaves from this address: what ip_hash looks at.
const from = (address) => new http.Agent({ localAddress: address });
const subject = io(url, { ...options, agent: from(toA) });
const senders = {};
for (const room of ['everyone', 'room1', 'room2']) {
  senders[room] = io(nodeB, { ...options, forceNew: true });
}
await Promise.all([connected(subject), ...Object.values(senders).map(connected)]);
await senders.room1.emitWithAck('join', 'room1');
await senders.room2.emitWithAck('join', 'room2');

let received = [];
subject.on('chat message', (text) => received.push(text));

function arrival(text) {
  return new Promise((resolve) => {
    const check = () => (received.includes(text) ? resolve() : setTimeout(check, 10));
    check();
  });
}

const joined = await subject.emitWithAck('join', 'room1');
const welcome = arrival('welcome');
await senders.everyone.emitWithAck('chat message', 'welcome');
await welcome; // the subject holds an offset now

async function round(label, leave) {
  const id = subject.id;
  received = [];
  const gone = next(subject, 'disconnect');
  leave();
  const [reason] = await gone;
  for (const room of ['everyone', 'room1', 'room2']) {
    await senders[room].emitWithAck('chat message', `${label}: to ${room}`);
  }
  await next(subject, 'connect');
  const recovered = subject.recovered;
  const back = arrival(`${label}: back`);
  const { rooms } = await subject.emitWithAck('chat message', `${label}: back`);
  await back;
  return { label, reason, recovered, sameId: subject.id === id, rooms, received };
}

function moveTo(address) {
  return () => {
    subject.io.opts.agent = from(address); // its next connection comes from another address
    subject.io.engine.close();
  };
}

const rounds = [];
rounds.push(await round('moved', moveTo(toB)));
subject.io.reconnectionDelay(windowMs + 600);
rounds.push(await round('too late', moveTo(toA)));
subject.io.reconnectionDelay(400);
rounds.push(await round('A stopped', () => process.kill(nodeAProcess, 'SIGINT')));
await finish({ joined: joined.rooms, rounds }, subject, ...Object.values(senders));
