#!/usr/bin/env node
// Container healthcheck: `fdo-probe PORT [PATH]` asks the service on this host for PATH (default /ready)
// and exits 0 on a 2xx answer, 1 otherwise. It speaks HTTPS when the service terminates TLS itself
// (FDO_*_TLS_CERT) and HTTP otherwise. The certificate is not checked: this is the container asking
// itself over loopback, and the probe routes need no client certificate.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

const [port, path = '/ready'] = process.argv.slice(2);
if (!/^\d+$/.test(port ?? '')) {
  process.stderr.write('usage: fdo-probe PORT [PATH]\n');
  process.exit(2);
}

function probe(get, options) {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port: Number(port), path, timeout: 2500, ...options }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

let status;
try {
  status = await probe(httpsGet, { rejectUnauthorized: false });
} catch (err) {
  // A plain-HTTP server answers a TLS handshake with garbage: ask it over HTTP.
  if (err.code !== 'EPROTO' && !/wrong version number|packet length/i.test(String(err.message))) {
    process.stderr.write(`fdo-probe: ${err.message}\n`);
    process.exit(1);
  }
  status = await probe(httpGet, {}).catch((e) => {
    process.stderr.write(`fdo-probe: ${e.message}\n`);
    return 0;
  });
}
process.exit(status >= 200 && status < 300 ? 0 : 1);
