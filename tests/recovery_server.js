// A socket.io 4.8 server with connection state recovery, for the side-by-side test
// (tests/test_recovery_node.py). chatlib's server there answers the same events.
//
// Usage: node tests/recovery_server.js <maxDisconnectionDuration in ms>
// Prints {"port": N} once listening on 127.0.0.1; exits when stdin closes.
//
// Events (each acknowledged):
//   "join" room        the socket joins `room`, and `socket.data.room` remembers it
//   "send" {to, text}  emits "news" text to everyone ("everyone"), a room, or a socket id
//   "whoami"           → {rooms (own id left out), data, recovered (as the server saw it)}
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const maxDisconnectionDuration = Number(process.argv[2]);
const httpServer = http.createServer();
const io = new Server(httpServer, { connectionStateRecovery: { maxDisconnectionDuration } });

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    socket.data.room = room;
    ack(room);
  });
  socket.on("send", ({ to, text }, ack) => {
    (to === "everyone" ? io : io.to(to)).emit("news", text);
    ack(true);
  });
  socket.on("whoami", (ack) => {
    const rooms = [...socket.rooms].filter((room) => room !== socket.id).sort();
    ack({ rooms, data: socket.data, recovered: socket.recovered });
  });
});

httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
