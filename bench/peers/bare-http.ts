/** The baseline: a bare node:http server that reads the body and answers 200 (env PORT). */
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
