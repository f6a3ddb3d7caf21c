/**
 * Self-signed certificates with exact validity dates (openssl CLI, `openssl ca -selfsign`), and a
 * local HTTPS server that presents one — for the tls probe.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';

const run = promisify(execFile);

const CA_CONFIG = `[ ca ]
default_ca = d
[ d ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[ p ]
commonName = supplied
[ ext ]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = critical,CA:TRUE
`;

const asn1 = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export interface Certificate { certPath: string; keyPath: string; cert: string; key: string }

/** A certificate for `localhost` / 127.0.0.1 valid from `notBefore` until `notAfter`. */
export async function makeCertificate(dir: string, name: string, notBefore: Date, notAfter: Date): Promise<Certificate> {
  const at = (f: string) => path.join(dir, `${name}.${f}`);
  await writeFile(at('cnf'), CA_CONFIG);
  await writeFile(path.join(dir, 'index.txt'), '');
  await writeFile(path.join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key'), '-out', at('csr'), '-subj', '/CN=localhost'], { cwd: dir, timeout: 30_000 });
  await run('openssl', ['ca', '-batch', '-config', at('cnf'), '-selfsign', '-keyfile', at('key'), '-in', at('csr'), '-out', at('pem'),
    '-startdate', asn1(notBefore), '-enddate', asn1(notAfter), '-extensions', 'ext', '-notext'], { cwd: dir, timeout: 30_000 });
  return { certPath: at('pem'), keyPath: at('key'), cert: await readFile(at('pem'), 'utf8'), key: await readFile(at('key'), 'utf8') };
}

export const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000);

export async function startHttpsServer(c: Certificate): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = https.createServer({ cert: c.cert, key: c.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
