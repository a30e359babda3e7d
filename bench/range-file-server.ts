/**
 * A minimal HTTP server for one file with Range support (bench only, runs as a child process of the
 * FUSE bench on the developer's machine): the lower-layer reader's own ceiling, without s3rver and the
 * SigV4 front in the way. Prints its port on stdout. Not an object store: no signatures, loopback only.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const path = process.argv[2];
if (!path) {
  process.stderr.write("usage: range-file-server FILE\n");
  process.exit(2);
}
const fd = openSync(path, "r");
const size = fstatSync(fd).size;
const server = createServer((req, res) => {
  const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  if (!match) return void res.writeHead(416).end();
  const start = Number(match[1]);
  const end = Math.min(Number(match[2]), size - 1);
  if (start > end) return void res.writeHead(416, { "content-range": `bytes */${size}` }).end();
  const body = Buffer.allocUnsafe(end - start + 1);
  readSync(fd, body, 0, body.length, start);
  res
    .writeHead(206, { "content-range": `bytes ${start}-${end}/${size}`, "content-length": body.length })
    .end(body);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  closeSync(fd);
  process.exit(0);
});
