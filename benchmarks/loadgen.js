// One load generator for every server: N clients (the official socket.io-client, websocket
// only) and one sender broadcasting a small chat message through the server's 'chat message'
// handler, which sends it to everyone. Prints one JSON line of results.
//
//   node loadgen.js URL N saturate SECONDS WINDOW   bounded in-flight window, as fast as it goes
//   node loadgen.js URL N rate SECONDS PER_SECOND   a fixed rate, for latency
// URL may be several, comma-separated (nodes of one cluster): clients are dealt round-robin,
// and the sender is on the first.
const { io } = require("socket.io-client");

const [urlList, nText, mode, secondsText, paramText] = process.argv.slice(2);
const urls = urlList.split(",");
const n = Number(nText), seconds = Number(secondsText), param = Number(paramText);
const clients = [];
const pending = new Map(); // message id -> receivers still to receive it
let deliveries = 0, duplicates = 0, sent = 0, measuring = false;
const latencies = [];

function connectOne(i) {
  return new Promise((resolve, reject) => {
    const socket = io(urls[i % urls.length], { transports: ["websocket"], auth: { name: `load${i}` },
                             reconnection: false, forceNew: true });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
    socket.on("chat message", (text) => {
      const [id, sentAt] = text.split(":");
      const left = pending.get(id);
      if (left === undefined) { duplicates++; return; }
      if (measuring) {
        deliveries++;
        latencies.push(Number(process.hrtime.bigint() - BigInt(sentAt)) / 1e6);
      }
      if (left === 1) { pending.delete(id); onComplete(); } else pending.set(id, left - 1);
    });
  });
}

let onComplete = () => {};

function send() {
  const id = String(sent++);
  pending.set(id, n);
  clients[0].emit("chat message", `${id}:${process.hrtime.bigint()}`);
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
}

async function main() {
  for (let i = 0; i < n; i++) clients.push(await connectOne(i));
  // warm up: a few messages complete before measuring
  await new Promise((resolve) => { let left = 10; onComplete = () => { if (--left === 0) resolve(); };
                                   for (let i = 0; i < 10; i++) send(); });
  measuring = true;
  console.log("measuring");
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  if (mode === "saturate") {
    await new Promise((resolve) => {
      onComplete = () => { if (Date.now() < deadline) send(); else if (pending.size === 0) resolve(); };
      for (let i = 0; i < param; i++) send();
    });
  } else {
    await new Promise((resolve) => {
      onComplete = () => { if (Date.now() >= deadline && pending.size === 0) resolve(); };
      const timer = setInterval(() => {
        if (Date.now() >= deadline) { clearInterval(timer); if (pending.size === 0) resolve(); return; }
        send();
      }, 1000 / param);
    });
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  measuring = false;
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({
    clients: n, mode, seconds: elapsed, messages: sent - 10, deliveries, duplicates,
    lost: pending.size, per_second: deliveries / elapsed,
    p50_ms: percentile(latencies, 0.5), p99_ms: percentile(latencies, 0.99),
  }));
  for (const socket of clients) socket.disconnect();
  process.exit(0);
}

const guard = setTimeout(() => { console.error("load generator: no progress, giving up"); process.exit(2); },
                         (seconds + 60) * 1000);
guard.unref();
main().catch((error) => { console.error(error.message || error); process.exit(1); });
