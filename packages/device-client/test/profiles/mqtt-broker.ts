/**
 * A real Mosquitto broker for tests: its own process on a free loopback port, with a TLS listener
 * that requires client certificates from the given CA (and honours a CRL), the client certificate's
 * CN as the user name. `restart` reloads the CRL (Mosquitto reads it when the listener starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../helpers.js';

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) =>
  existsSync(p),
);

export interface BrokerFiles {
  /** CA that client certificates must chain to. */
  cafile: string;
  certfile: string;
  keyfile: string;
  crlfile?: string;
}

export class Broker {
  #child: ChildProcess | null = null;
  #log = '';

  private constructor(
    readonly port: number,
    private readonly confFile: string,
  ) {}

  /** Starts on `port` (a free one by default). */
  static async start(dir: string, files: BrokerFiles, port?: number): Promise<Broker> {
    if (MOSQUITTO === undefined) throw new Error('mosquitto is not installed');
    port ??= await freePort();
    const confFile = join(dir, 'mosquitto.conf');
    writeFileSync(
      confFile,
      [
        'per_listener_settings false',
        'persistence false',
        `user ${userInfo().username}`,
        `listener ${port} 127.0.0.1`,
        `cafile ${files.cafile}`,
        `certfile ${files.certfile}`,
        `keyfile ${files.keyfile}`,
        ...(files.crlfile === undefined ? [] : [`crlfile ${files.crlfile}`]),
        'require_certificate true',
        'use_identity_as_username true',
        'allow_anonymous false',
        '',
      ].join('\n'),
    );
    const broker = new Broker(port, confFile);
    await broker.#launch();
    return broker;
  }

  get log(): string {
    return this.#log;
  }

  async #launch(): Promise<void> {
    const child = spawn(MOSQUITTO!, ['-c', this.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const seen = (b: Buffer) => void (this.#log += b.toString());
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    // Ready when the port accepts connections (or the process died: say why).
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${this.#log}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = new Socket();
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
        socket.connect(this.port, '127.0.0.1');
      });
      if (open) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
  }
}

export interface TlsFiles {
  key: string | Buffer;
  cert: string | Buffer;
  ca: string | Buffer;
}

/**
 * Connects with mqtt.js over mutual TLS; resolves with the client once CONNACK arrived, rejects when
 * the broker refuses (TLS alert, connection closed before CONNACK).
 */
export function connect(url: string, clientId: string, tls: TlsFiles): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId,
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      rejectUnauthorized: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      protocolVersion: 4,
    });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => resolve(client));
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

/** Subscribes to `topic`, publishes `payload` there, and resolves with what comes back. */
export async function echo(client: MqttClient, topic: string, payload: string): Promise<string> {
  const received = new Promise<string>((resolve) =>
    client.on('message', (t, message) => t === topic && resolve(message.toString())),
  );
  await client.subscribeAsync(topic, { qos: 1 });
  await client.publishAsync(topic, payload, { qos: 1 });
  return received;
}
