// Binary payloads: Buffers and typed arrays, alone or inside objects, both ways.
import { connected, finish, io, next, url } from './lib.mjs';

const socket = await connected(io(url, { auth: { name: 'node' } }));
const bytes = Buffer.from([0, 1, 2, 254, 255]);
const nested = { label: 'nested', blob: Uint8Array.from([10, 20, 30]), list: [Buffer.from('hi')] };

const [reversed, summary] = await new Promise((resolve) =>
  socket.emit('echo bytes', bytes, nested, (...args) => resolve(args)),
);
const blobArrives = next(socket, 'blob');
socket.emit('send me bytes', 256);
const [blob, meta] = await blobArrives;

await finish(
  {
    reply: { isBuffer: Buffer.isBuffer(reversed), values: [...reversed] },
    summary,
    blob: {
      isBuffer: Buffer.isBuffer(blob),
      length: blob.length,
      first: blob[0],
      last: blob[blob.length - 1],
      metaIsBuffer: Buffer.isBuffer(meta.inner),
      meta: { name: meta.name, inner: [...meta.inner] },
    },
  },
  socket,
);
