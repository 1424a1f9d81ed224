/**
 * TLS in the service (instead of, or behind, a terminating proxy) and optional mutual TLS for the
 * management API.
 *
 * One port carries both the FDO protocol and the management API, and devices have no client
 * certificate, so the server asks for one without requiring it (`requestCert`, not
 * `rejectUnauthorized`): the TLS layer verifies whatever certificate is sent against the client CA, and
 * the management routes and `/metrics` refuse requests without a verified one (401). The FDO routes and
 * the probes stay open. The certificate's subject becomes the audit actor; by default a token is still
 * needed for its scopes, or `<PREFIX>_TLS_CLIENT_SCOPE` lets the certificate alone grant one.
 */
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ApiScope } from '@fdo/storage';
import type { FastifyRequest } from 'fastify';
import { ConfigError, kinds, setting } from './config.js';

export interface TlsConfig {
  /** Certificate chain (PEM) and private key (PEM) of the service; both null: plain HTTP. */
  certFile: string | null;
  keyFile: string | null;
  /** CA certificate(s) (PEM) of management clients; null: no client certificate is asked for. */
  clientCaFile: string | null;
  /** What a verified client certificate alone grants; null: a token is still needed. */
  clientScope: ApiScope | null;
}

/** Mutual TLS on protected routes: a client certificate verified against the client CA is required. */
export interface ClientCertificatePolicy {
  /** The scope a verified certificate grants without a token; null: a token is needed too. */
  scope: ApiScope | null;
  /** The setting to name in refusals, e.g. FDO_OWNER_TLS_CLIENT_CA. */
  setting: string;
}

export interface ClientCertificate {
  /** The subject DN, e.g. "CN=ops, O=Acme": the audit actor. */
  subject: string;
  /** SHA-256 of the certificate, colon-separated hex (Node's form). */
  fingerprint256: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified client certificate of a protected request under mutual TLS. */
    clientCertificate?: ClientCertificate;
  }
}

/** The TLS settings of a service schema, under its prefix (part of accessSettings). */
export function tlsSettings(prefix: string) {
  return {
    tlsCert: setting(kinds.path(), {
      env: `${prefix}_TLS_CERT`,
      file: 'tls.cert',
      description: 'serve HTTPS with this certificate chain (PEM); unset: plain HTTP (TLS terminated in front)',
    }),
    tlsKey: setting(kinds.path(), {
      env: `${prefix}_TLS_KEY`,
      file: 'tls.key',
      description: 'the private key (PEM) of the TLS certificate',
    }),
    tlsClientCa: setting(kinds.path(), {
      env: `${prefix}_TLS_CLIENT_CA`,
      file: 'tls.clientCa',
      description:
        'mutual TLS: the management API and `/metrics` need a client certificate issued by this CA (PEM); its subject is the audit actor',
    }),
    tlsClientScope: setting(kinds.oneOf(['none', 'read', 'write', 'admin'] as const), {
      env: `${prefix}_TLS_CLIENT_SCOPE`,
      file: 'tls.clientScope',
      default: 'none',
      description: 'what a verified client certificate alone grants: `none` (an API token is still needed) or a scope',
    }),
  };
}

/** The checked TLS configuration; problems (half a key pair, a client CA without TLS) go to `problems`. */
export function tlsConfigOf(
  v: { tlsCert: string | null; tlsKey: string | null; tlsClientCa: string | null; tlsClientScope: string },
  prefix: string,
  problems: string[],
): TlsConfig {
  if ((v.tlsCert === null) !== (v.tlsKey === null)) {
    problems.push(`${prefix}_TLS_CERT and ${prefix}_TLS_KEY: set both (HTTPS) or neither (plain HTTP)`);
  }
  if (v.tlsClientCa !== null && v.tlsCert === null) {
    problems.push(`${prefix}_TLS_CLIENT_CA needs ${prefix}_TLS_CERT and ${prefix}_TLS_KEY (mutual TLS is TLS)`);
  }
  if (v.tlsClientScope !== 'none' && v.tlsClientCa === null) {
    problems.push(`${prefix}_TLS_CLIENT_SCOPE needs ${prefix}_TLS_CLIENT_CA (the CA whose certificates it trusts)`);
  }
  return {
    certFile: v.tlsCert,
    keyFile: v.tlsKey,
    clientCaFile: v.tlsClientCa,
    clientScope: v.tlsClientScope === 'none' ? null : (v.tlsClientScope as ApiScope),
  };
}

function readPem(file: string, setting: string, label: RegExp, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`]);
  }
  if (!label.test(text)) throw new ConfigError([`${setting}: ${file} holds no ${what} (PEM)`]);
  return text;
}

export interface LoadedTls {
  /** For createApp: null serves plain HTTP. */
  https: ServerOptions | null;
  /** For managementApi and metricsEndpoint: undefined when no client certificate is required. */
  clientCertificates?: ClientCertificatePolicy;
}

/** Reads the files of a TLS configuration; throws {@link ConfigError} naming the setting at fault. */
export function loadTls(tls: TlsConfig, prefix: string): LoadedTls {
  if (tls.certFile === null || tls.keyFile === null) return { https: null };
  const cert = readPem(tls.certFile, `${prefix}_TLS_CERT`, /-----BEGIN CERTIFICATE-----/, 'CERTIFICATE');
  const key = readPem(tls.keyFile, `${prefix}_TLS_KEY`, /-----BEGIN (EC |RSA )?PRIVATE KEY-----/, 'PRIVATE KEY');
  if (tls.clientCaFile === null) return { https: { cert, key } };
  const setting = `${prefix}_TLS_CLIENT_CA`;
  const ca = readPem(tls.clientCaFile, setting, /-----BEGIN CERTIFICATE-----/, 'CERTIFICATE');
  return {
    // Ask every client for a certificate, require none at the TLS layer: devices have none (see above).
    https: { cert, key, ca, requestCert: true, rejectUnauthorized: false },
    clientCertificates: { scope: tls.clientScope, setting },
  };
}

/** The request's client certificate if the TLS layer verified it against the client CA, else why not. */
export function verifiedClientCertificate(request: FastifyRequest): ClientCertificate | { error: string } {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerX509Certificate !== 'function') return { error: 'the connection is not TLS' };
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { error: 'none was sent' };
  if (socket.authorized !== true) {
    return {
      error: `the one sent was refused (${String(socket.authorizationError ?? 'not issued by the client CA')})`,
    };
  }
  return { subject: cert.subject.split('\n').join(', '), fingerprint256: cert.fingerprint256 };
}
