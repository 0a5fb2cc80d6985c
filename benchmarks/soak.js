// The soak's clients: N official socket.io-clients (websocket) hold their connections for
// SECONDS while, all together, they send RATE chat messages per second (each one broadcast to
// everyone by the server). Every client keeps what it received by (sender, number), so the end
// tells exactly what was lost or received twice, and every disconnect is counted.
//
//   node soak.js URL N SECONDS RATE
// Prints "connected" once all are in, one progress line a minute, then one JSON line.
const { io } = require("socket.io-client");

const [url, nText, secondsText, rateText] = process.argv.slice(2);
const n = Number(nText), seconds = Number(secondsText), rate = Number(rateText);
const clients = [];
let disconnects = 0, refused = 0, sent = 0;

function connectOne(i) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], auth: { name: `soak${i}` },
                             reconnection: false, forceNew: true });
    socket.seen = new Map(); // message "sender:number" -> times received
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
    socket.on("disconnect", () => { disconnects++; });
    socket.on("chat message", (text) => socket.seen.set(text, (socket.seen.get(text) || 0) + 1));
  });
}

function sendOne() {
  const sender = clients[sent % n];
  const text = `soak${sent % n}:${sent}`;
  sent++;
  sender.timeout(10000).emit("chat message", text, (err, answer) => {
    if (err || !answer || answer.ok !== true) refused++;
  });
}

function tally() {
  let lost = 0, duplicated = 0;
  for (const socket of clients) {
    for (let m = 0; m < sent; m++) {
      const times = socket.seen.get(`soak${m % n}:${m}`) || 0;
      if (times === 0) lost++; else duplicated += times - 1;
    }
  }
  return { lost, duplicated };
}

async function main() {
  for (let i = 0; i < n; i++) clients.push(await connectOne(i));
  console.log("connected");
  const started = Date.now();
  const timer = setInterval(sendOne, 1000 / rate);
  const progress = setInterval(() => {
    const minutes = Math.round((Date.now() - started) / 60000);
    console.log(`progress ${minutes} min: ${sent} sent, ${disconnects} disconnects`);
  }, 60000);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  clearInterval(timer);
  clearInterval(progress);
  // Let the last broadcasts arrive: bounded, and done as soon as every client has them all.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && tally().lost > 0) await new Promise((r) => setTimeout(r, 100));
  const { lost, duplicated } = tally();
  const connected = clients.filter((s) => s.connected).length;
  console.log(JSON.stringify({ clients: n, seconds, sent, deliveries: sent * n, lost, duplicated,
                               disconnects, refused, connected_at_end: connected }));
  for (const socket of clients) socket.disconnect();
}

main().catch((err) => { console.error(err); process.exit(1); });
