// A socket.io 4.8 server for the emit cheatsheet cross-check (tests/test_cheatsheet_crosscheck.py).
//
// Usage: node tests/cheatsheet_server.js '<cast as JSON>'
//   cast: {"/": {"alice": ["room1"], ...}, "/myNamespace": {"frank": ["room1"]}}
// Prints {"port": N} once listening on 127.0.0.1; exits when stdin closes.
//
// Each client connects with auth {name}; the server puts it in the cast's rooms.
// A client emits "run" with {sender, namespace, code}, a barrier token and an ack callback:
// the server runs `code` (a cheatsheet line) where `socket` is the sender's socket in that
// namespace and `idOf(name)` is a client's socket id there, then emits the token as
// "chatlib:marker" to every namespace (whatever the line sent arrives before it), then
// acknowledges with {result} or {error}.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const cast = JSON.parse(process.argv[2]);
const httpServer = http.createServer();
const io = new Server(httpServer);
const AsyncFunction = async function () {}.constructor;

function socketOf(namespace, name) {
  for (const socket of io.of(namespace).sockets.values()) {
    if (socket.handshake.auth.name === name) return socket;
  }
  throw new Error(`${name} is not connected to ${namespace}`);
}

for (const [namespace, rooms] of Object.entries(cast)) {
  io.of(namespace).on("connection", (socket) => {
    const name = socket.handshake.auth.name;
    socket.join(rooms[name] || []);

    // Acknowledgements, JavaScript style: only calling the callback answers.
    socket.on("returns a value", () => "a returned value is not an acknowledgement");
    socket.on("calls back", (text, callback) => callback(`got ${text}`));

    socket.on("run", async (line, token, ack) => {
      let reply;
      try {
        const socket = socketOf(line.namespace, line.sender);
        const idOf = (who) => socketOf(line.namespace, who).id;
        const result = await new AsyncFunction("io", "socket", "idOf", line.code)(io, socket, idOf);
        reply = { result: result === undefined ? null : result };
      } catch (error) {
        reply = { error: String(error.message || error) };
      }
      for (const ns of Object.keys(cast)) io.of(ns).emit("chatlib:marker", token);
      ack(reply);
    });
  });
}

httpServer.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
