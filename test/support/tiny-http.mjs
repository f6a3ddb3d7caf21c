// A tiny HTTP service for the service-manager tests: answers 200 with its PID, logs a line at start.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((_req, res) => res.end(JSON.stringify({ status: 'ok', pid: process.pid }))).listen(port, '127.0.0.1', () => {
  console.log(`${new Date().toISOString()}: tiny-http listening on ${port} pid ${process.pid}`);
  console.error(`${new Date().toISOString()}: tiny-http stderr line`);
});
process.on('SIGTERM', () => process.exit(0));
