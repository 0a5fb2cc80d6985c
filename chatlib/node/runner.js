// A socket.io server on Node.js that runs JavaScript snippets sent by chatlib.nodejs.
//
// Usage: node runner.js '<cast as JSON>'
//   cast: {"/": {"alice": ["room1"], ...}, "/chat": {"frank": ["room1"]}}
//   Each namespace of the cast accepts connections; a client names itself in its
//   handshake auth ({name}) and joins the rooms the cast gives it.
//
// Talks to its parent process in JSON lines:
//   stdout  {"port": N}                  once listening on 127.0.0.1 (port chosen by the system)
//   stdin   {"id", "code", "sender", "namespace", "token"}
//           runs `code` as the body of an async function of (io, socket, idOf, print, jsClient):
//           `socket` is the sender's socket in `namespace`, `idOf(name)` a client's socket id
//           there, `print(...)` reports a line to the parent, `await jsClient(name, url)` an
//           official socket.io-client connected as `name` (to this server unless `url` says
//           otherwise; closed when the runner exits). Then the token is emitted as
//           "chatlib:marker" to every namespace: a client holding it holds whatever the
//           snippet emitted to it before.
//   stdout  {"id", "result"} or {"id", "error"}   what the snippet returned, or its error
//   stdout  {"printed": "..."}           whenever print() runs, in a snippet or in a handler
//   stdout  {"uncaught": "..."}          a handler threw: Node's default is to end the process,
//                                        and this runner does the same after saying why
// Socket ids in printed lines and results are written as <id of alice>, so output does not
// change from run to run. The process exits when its stdin closes (its parent is gone).
"use strict";

const http = require("node:http");
const readline = require("node:readline");
const util = require("node:util");
const { Server } = require("socket.io");

const MARKER_EVENT = "chatlib:marker";
const SETTLE_EVENT = "chatlib:settle";

const cast = JSON.parse(process.argv[2] || "{}");
const namespaces = [...new Set(["/", ...Object.keys(cast)])];
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
const AsyncFunction = async function () {}.constructor;
const CLIENT_TIMEOUT_MS = 5000;
const nameOfId = new Map(); // kept after a disconnect, so a disconnect handler can still print

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function withNames(value, depth = 0) {
  if (typeof value === "string") {
    return nameOfId.has(value) ? `<id of ${nameOfId.get(value)}>` : value;
  }
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Error) return value.message;
  if (value instanceof Set) return new Set([...value].map((v) => withNames(v, depth + 1)));
  if (value instanceof Map) {
    return new Map([...value].map(([k, v]) => [withNames(k, depth + 1), withNames(v, depth + 1)]));
  }
  if (Array.isArray(value)) return value.map((v) => withNames(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [withNames(k, depth + 1), withNames(v, depth + 1)]),
  );
}

function print(...values) {
  send({ printed: util.formatWithOptions({ colors: false }, ...values.map((v) => withNames(v))) });
}

function asJson(value) {
  if (value === undefined) return null;
  return JSON.parse(
    JSON.stringify(withNames(value), (_key, v) => {
      if (v instanceof Set) return [...v];
      if (v instanceof Map) return Object.fromEntries(v);
      if (v && v.type === "Buffer" && Array.isArray(v.data)) return { bytes: v.data };
      return v;
    }),
  );
}

function socketOf(namespace, name) {
  for (const socket of io.of(namespace).sockets.values()) {
    if (socket.handshake.auth.name === name) return socket;
  }
  throw new Error(`${name} is not connected to ${namespace}`);
}

for (const namespace of namespaces) {
  io.of(namespace).on("connection", (socket) => {
    const name = socket.handshake.auth.name;
    if (typeof name === "string") nameOfId.set(socket.id, name);
    socket.join((cast[namespace] || {})[name] || []);
    // chatlib's settle() asks each server to confirm it has read what came before.
    socket.on(SETTLE_EVENT, (...args) => {
      const ack = args[args.length - 1];
      if (typeof ack === "function") ack(true);
    });
  });
}

// The official JavaScript client, for a snippet that compares what it does with what a
// Python client does (its disconnect() tells the server which namespace it leaves, say).
// Loaded on first use: most snippets never need it.
async function jsClient(name, url = `http://127.0.0.1:${httpServer.address().port}`) {
  const { io: connect } = require("socket.io-client");
  const client = connect(url, {
    auth: { name },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`${name} could not connect to ${url} within ${CLIENT_TIMEOUT_MS} ms`));
    }, CLIENT_TIMEOUT_MS);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once("connect_error", (error) => {
      clearTimeout(timer);
      client.close();
      reject(error);
    });
  });
}

async function run(command) {
  const reply = { id: command.id };
  try {
    const namespace = command.namespace || "/";
    const socket = command.sender ? socketOf(namespace, command.sender) : undefined;
    const idOf = (name) => socketOf(namespace, name).id;
    const body = new AsyncFunction("io", "socket", "idOf", "print", "jsClient", command.code);
    reply.result = asJson(await body(io, socket, idOf, print, jsClient));
  } catch (error) {
    reply.error = error instanceof Error ? error.message : String(error);
  }
  for (const namespace of namespaces) io.of(namespace).emit(MARKER_EVENT, command.token);
  send(reply);
}

function uncaught(error) {
  send({ uncaught: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
process.on("uncaughtException", uncaught);
process.on("unhandledRejection", uncaught);

let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  queue = queue.then(() => run(command));
});
process.stdin.on("end", () => process.exit(0));

httpServer.listen(0, "127.0.0.1", () => send({ port: httpServer.address().port }));
