// abortSignal(id) with fetch: a download that another process (here, a timer) aborts by its id. The example
// starts its own slow HTTP server on loopback, so it needs no network, and closes it at the end.
//
//   npx tsx examples/fetchWithAbortSignal.ts
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Abort, Abortable, MemoryBackend } from '../src/index.js';

// A server that sends a chunk every 20 ms and never finishes on its own: a download that needs stopping.
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  const chunks = setInterval(() => response.write('data\n'), 20);
  response.on('close', () => clearInterval(chunks));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/export.csv`;

const abortable = new Abortable({ backend: new MemoryBackend() });

async function download(jobId: string, onBytes: (bytes: number) => void): Promise<number> {
  // The watch is released when the block ends (`using`), whatever the outcome.
  using signal = abortable.abortSignal(jobId);
  const response = await fetch(url, { signal });
  let bytes = 0;
  try {
    for await (const chunk of response.body ?? []) {
      bytes += (chunk as Uint8Array).byteLength;
      onBytes(bytes);
    }
  } catch (error) {
    if (!(signal.reason instanceof Abort)) throw error;
    console.log(`${jobId}: aborted after ${bytes} bytes (${signal.reason.reason})`);
  }
  return bytes;
}

// Once some data has arrived, someone aborts the job by its id (from any process, with a Redis backend).
let aborted = false;
await download('export-7', (received) => {
  if (received < 15 || aborted) return;
  aborted = true;
  void abortable.abort('export-7', { reason: 'the user closed the tab' });
});
if (!aborted) throw new Error('expected the download to be aborted');

await abortable.close();
server.close();
server.closeAllConnections();
