// Idle connections for the memory benchmark: N official socket.io-client sockets (websocket
// only), connected BATCH at a time, then held without sending anything. Prints
// {"connected": N} once all are up; after that, each line on stdin is answered with the
// number still connected, so the benchmark can check that none was dropped while it measured.
//
//   node idle_clients.js URL N [BATCH]
const readline = require("node:readline");
const { io } = require("socket.io-client");

const [url, nText, batchText] = process.argv.slice(2);
const n = Number(nText), batch = Number(batchText || 200);
let connected = 0;

function connectOne(i) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], auth: { name: `idle${i}` },
                             reconnection: false, forceNew: true });
    socket.on("connect", () => { connected++; resolve(socket); });
    socket.on("connect_error", reject);
    socket.on("disconnect", () => { connected--; });
  });
}

async function main() {
  const sockets = [];
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    sockets.push(...await Promise.all(Array.from({ length: size }, (_, k) => connectOne(start + k))));
  }
  console.log(JSON.stringify({ connected }));
  readline.createInterface({ input: process.stdin }).on("line", () => {
    console.log(JSON.stringify({ connected }));
  }).on("close", () => process.exit(0));
}

main().catch((error) => { console.error(error.message || error); process.exit(1); });
