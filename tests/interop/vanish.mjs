// A polling client that disappears without a goodbye, as a closed laptop would.
import { connected, io, url } from './lib.mjs';

await connected(io(url, { auth: { name: 'vanishing' }, transports: ['polling'] }));
console.log(JSON.stringify({ connected: true }));
process.exit(0); // no close packet: the server only finds out at the ping timeout
