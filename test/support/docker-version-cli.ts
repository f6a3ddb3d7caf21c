/**
 * `node --import tsx test/support/docker-version-cli.ts <DOCKER_HOST>`: asks Docker for its version
 * through DockerService and prints the outcome as one JSON line. Tests run it as another user
 * (setpriv) to meet a real "permission denied" on the socket.
 */
import { DockerService } from '../../src/ops/docker/index.js';

const docker = new DockerService({ defaultHost: process.argv[2], callTimeoutMs: 5_000 });
docker.version().then(
  (version) => process.stdout.write(`${JSON.stringify({ ok: true, version })}\n`),
  (e: { code?: string; message?: string; stack?: string }) => process.stdout.write(`${JSON.stringify({ ok: false, code: e.code, message: e.message })}\n`),
);
