// The reference: socket.io 4.8 on Node, the chat example's own stack and handler.
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const httpServer = createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("chat message", (msg) => io.emit("chat message", msg));
});
httpServer.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${httpServer.address().port}`));
