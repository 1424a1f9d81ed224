/**
 * Test PKI for TLS and mutual TLS (made with the protocol package's x509): a CA with a server
 * certificate for localhost, a client CA with an operator's certificate, and a rogue CA's client
 * certificate, as PEM files; and an HTTPS client that checks the server against the CA.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { generateKeyPair, toPem } from '@fdo/protocol';
import { certificatesToPem, createSelfSignedCa, issueCertificate } from '@fdo/protocol/x509';

/** A CA, a server certificate for localhost and client certificates, written as PEM files. */
export async function pki(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = async (subject: string) => {
    const key = generateKeyPair('ec256');
    return { key, cert: await createSelfSignedCa({ privateKey: key.privateKey, subject }) };
  };
  const leaf = async (issuer: Awaited<ReturnType<typeof ca>>, subject: string) => {
    const key = generateKeyPair('ec256');
    const cert = await issueCertificate({
      issuer: { privateKey: issuer.key.privateKey, certificate: issuer.cert },
      publicKey: key.publicKey,
      subject,
    });
    return { key: toPem('PRIVATE KEY', key.privateKey.pkcs8), cert: certificatesToPem([cert]) };
  };
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const root = await ca('CN=Test CA');
  const clients = await ca('CN=Operators CA, O=Acme');
  const rogue = await ca('CN=Rogue CA');
  const server = await leaf(root, 'CN=localhost');
  return {
    dir,
    rootPem: certificatesToPem([root.cert]),
    files: {
      cert: write('server.crt', server.cert),
      key: write('server.key', server.key),
      clientCa: write('clients.crt', certificatesToPem([clients.cert])),
    },
    ops: await leaf(clients, 'CN=ops, O=Acme'),
    mallory: await leaf(rogue, 'CN=mallory'),
    write,
  };
}

export type Pki = Awaited<ReturnType<typeof pki>>;

export interface CallOptions {
  client?: { key: string; cert: string };
  token?: string;
  body?: Uint8Array;
}

/** HTTPS requests to 127.0.0.1:port that check the server against `ca` (as localhost). */
export function httpsCaller(port: number, ca: string) {
  return (method: string, path: string, opts: CallOptions = {}) =>
    new Promise<{ status: number; json: Record<string, unknown> | null }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          path,
          method,
          ca,
          ...(opts.client ?? {}),
          headers: {
            ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
            ...(opts.body === undefined ? {} : { 'content-type': 'application/cbor' }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('latin1')));
          res.on('end', () => {
            let json = null;
            try {
              json = JSON.parse(text) as Record<string, unknown>;
            } catch {
              json = null;
            }
            resolve({ status: res.statusCode!, json });
          });
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
}
