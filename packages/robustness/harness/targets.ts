/**
 * One fuzz target per FDO route the platform serves (DI 10/12, TO0 20/22, TO1 30/32, TO2 60–70 and the
 * device's 255): a valid message taken from a real run stopped just before it, its session token, the
 * server session waiting for it, how to rewind that session after a message ended it, and the rows no
 * rejected message may change.
 */
import { createHash } from 'node:crypto';
import {
  createSessionCrypto,
  decodeErrorMessage,
  decodeMessage,
  encodeErrorMessage,
  isMessageNumber,
  messageName,
  nodeCrypto,
  runDI,
  runTO0,
  runTO1,
  runTO2,
  generateKeyPair,
  openTo2Token,
  type SessionCrypto,
  type To2OwnerSession,
} from '@fdo/protocol';
import { to2TokenSealer } from '@fdo/owner';
import { protocolToken } from '@fdo/server-kit';
import { captureBefore, type RawReply } from './capture.js';
import {
  manufacture,
  manufactureAndImport,
  ownerKeyOf,
  register,
  to2AddressesOf,
  type Device,
  type Platform,
  type Service,
} from './platform.js';

export interface FuzzTarget {
  /** e.g. "TO2.ProveDevice (64)". */
  route: string;
  service: Service;
  msgType: number;
  token: string | undefined;
  /** The valid body; for a message inside the TO2 tunnel, its plaintext. */
  valid: Uint8Array;
  /** Encrypts a (mutated) plaintext in the session's tunnel (§4.4); absent for messages in the clear. */
  seal?: (plaintext: Uint8Array) => Uint8Array;
  /** Null when a 200 reply is a well-formed answer to this message, else what is wrong. */
  checkReply(reply: RawReply): Promise<string | null>;
  /** The rows no rejected message may change, as one comparable text. */
  snapshot(): Promise<string>;
  /** Puts the server session back to where it waits for this message. */
  rewind(): Promise<void>;
  /** True when an accepted message spent what the target needs (the session, the device). */
  spentOnAccept: boolean;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The tables (columns that matter) a rejected message must leave as they were. */
const QUERIES = {
  mfgVouchers: 'SELECT guid, voucher, entry_count, owner_key_sha256 FROM mfg_voucher ORDER BY guid',
  mfgSessions: 'SELECT id, header, expires_at FROM mfg_di_session ORDER BY id',
  rvRegistrations:
    'SELECT guid, to1d, device_key, owner_key_fingerprint, voucher_entry_hash, wait_seconds, expires_at FROM rv_registration ORDER BY guid',
  rvNonces: 'SELECT nonce FROM rv_used_nonce ORDER BY nonce',
  // The device-status columns (state, failed step and reason, events) record a refusal by design.
  ownerVouchers:
    'SELECT guid, voucher, entry_count, owner_key_sha256, previous_guid, previous_voucher, transferred_to, registered_until, onboarded_at, credential_reuse FROM owner_voucher ORDER BY guid',
  ownerRegistrations:
    'SELECT voucher_id, rv_url, state, registered_until FROM owner_rv_registration ORDER BY voucher_id, rv_url',
  ownerSessions: 'SELECT id, version, state FROM owner_to2_session ORDER BY id',
} as const;

export type TableName = keyof typeof QUERIES;

function canonical(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}:${canonical(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** A digest of the given tables' rows. */
export async function tableDigest(p: Platform, tables: readonly TableName[]): Promise<string> {
  const parts: string[] = [];
  for (const name of tables) {
    const rows = await p.store.prisma.$queryRawUnsafe<unknown[]>(QUERIES[name]);
    parts.push(`${name}:${rows.length}:${createHash('sha256').update(canonical(rows)).digest('hex').slice(0, 16)}`);
  }
  return parts.join(' ');
}

/** Whether a decoded 200 reply is the message that answers `msgType`. */
function checkClear(replyType: number, reply: RawReply): string | null {
  if (reply.msgType !== replyType) return `replied with message ${reply.msgType}, expected ${replyType}`;
  if (!isMessageNumber(replyType)) return null;
  try {
    decodeMessage(replyType, reply.body);
    return null;
  } catch (err) {
    return `the reply does not decode as ${messageName(replyType)}: ${(err as Error).message}`;
  }
}

function checkSealed(replyType: number, reply: RawReply, tunnel: SessionCrypto | null): string | null {
  if (tunnel === null) return 'no session keys to read the reply with';
  try {
    return checkClear(replyType, { ...reply, body: tunnel.decrypt(reply.body) });
  } catch (err) {
    return `the reply does not decrypt: ${(err as Error).message}`;
  }
}

const devmod = { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'fuzz', sn: 'SN-FUZZ' };

/** A stored DI session row, put back after a refused DI.SetHMAC deleted it (§5.1). */
async function diSessionRewinder(p: Platform, token: string) {
  // The stores key sessions by the protocol's token, inside the transport's envelope (server-kit).
  const where = { id: sha256Hex(protocolToken(token)) };
  const row = await p.store.prisma.mfgDiSession.findUniqueOrThrow({ where });
  return async () => void (await p.store.prisma.mfgDiSession.upsert({ where, create: row, update: row }));
}

async function to2TokenContents(p: Platform, token: string) {
  const sealer = await to2TokenSealer(p.store.prisma, null);
  const { id, session } = openTo2Token(sealer, protocolToken(token));
  if (session === null) throw new Error('the fuzz targets expect sessions small enough for their token');
  return { id, session };
}

/**
 * A TO2 session as its token carries it, and how to rewind its fence (the row whose version the token
 * must match) after a message spent it (protocol phases/to2/sessions.ts).
 */
async function to2SessionOf(p: Platform, token: string) {
  const { id, session } = await to2TokenContents(p, token);
  const where = { id };
  const row = await p.store.prisma.ownerTo2Session.findUniqueOrThrow({ where });
  const rewind = async () => void (await p.store.prisma.ownerTo2Session.upsert({ where, create: row, update: row }));
  return { row, rewind, session };
}

/** The tunnel of a stored TO2 session, as the device holds it (same keys; its own IVs). */
function tunnelOf(session: To2OwnerSession): SessionCrypto | null {
  if (session.keys === null) return null;
  const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
  return createSessionCrypto(nodeCrypto, session.cipherSuite, {
    sek: hex(session.keys.sek),
    ...(session.keys.svk === null ? {} : { svk: hex(session.keys.svk) }),
  });
}

type Builder = (p: Platform) => Promise<FuzzTarget>;

function diTarget(msgType: 10 | 12): Builder {
  return async (p) => {
    const deviceKey = generateKeyPair('ec256');
    const captured = await captureBefore(p.manufacturer.url, msgType, (transport) =>
      runDI(transport, { crypto: nodeCrypto, deviceKey, serialNumber: `SN-FUZZ-${msgType}` }),
    );
    const rewind = msgType === 12 ? await diSessionRewinder(p, captured.token!) : async () => {};
    const tables: TableName[] = ['mfgVouchers', 'mfgSessions'];
    return {
      route: `${messageName(msgType)} (${msgType})`,
      service: p.manufacturer,
      msgType,
      token: captured.token,
      valid: captured.body,
      checkReply: async (r) => checkClear(msgType + 1, r),
      snapshot: () => tableDigest(p, tables),
      rewind,
      spentOnAccept: msgType === 12,
    };
  };
}

function to0Target(msgType: 20 | 22): Builder {
  return async (p) => {
    const device = await manufacture(p);
    const captured = await captureBefore(p.rendezvous.url, msgType, (transport) =>
      runTO0(transport, {
        crypto: nodeCrypto,
        voucher: device.voucher,
        ownerKey: ownerKeyOf(p, device.voucher),
        addresses: to2AddressesOf(p),
        waitSeconds: 3600,
      }),
    );
    return {
      route: `${messageName(msgType)} (${msgType})`,
      service: p.rendezvous,
      msgType,
      token: captured.token,
      valid: captured.body,
      checkReply: async (r) => checkClear(msgType + 1, r),
      snapshot: () => tableDigest(p, ['rvRegistrations']),
      rewind: async () => {},
      spentOnAccept: false,
    };
  };
}

function to1Target(msgType: 30 | 32): Builder {
  return async (p) => {
    const device = await manufacture(p);
    await register(p, device);
    const captured = await captureBefore(p.rendezvous.url, msgType, (transport) =>
      runTO1(transport, { credential: device.credential, deviceKey: device.deviceKey.privateKey }),
    );
    return {
      route: `${messageName(msgType)} (${msgType})`,
      service: p.rendezvous,
      msgType,
      token: captured.token,
      valid: captured.body,
      checkReply: async (r) => checkClear(msgType + 1, r),
      snapshot: () => tableDigest(p, ['rvRegistrations', 'rvNonces']),
      rewind: async () => {},
      spentOnAccept: false,
    };
  };
}

const TO2_TABLES: TableName[] = ['ownerVouchers', 'ownerRegistrations', 'ownerSessions'];

/** Runs TO2 for a fresh imported device up to message `stopBefore`. */
async function to2Capture(p: Platform, stopBefore: number, device?: Device) {
  const d = device ?? (await manufactureAndImport(p));
  const captured = await captureBefore(p.owner.url, stopBefore, (transport) =>
    runTO2(transport, { credential: d.credential, deviceKey: d.deviceKey.privateKey, devmod }),
  );
  return { device: d, captured };
}

function to2Target(msgType: 60 | 62 | 64 | 66 | 68 | 70): Builder {
  return async (p) => {
    const { captured } = await to2Capture(p, msgType);
    const route = `${messageName(msgType)} (${msgType})`;
    if (msgType === 60) {
      return {
        route,
        service: p.owner,
        msgType,
        token: undefined,
        valid: captured.body,
        checkReply: async (r) => checkClear(61, r),
        snapshot: () => tableDigest(p, TO2_TABLES),
        // Accepted HelloDevices open sessions; drop them so the guarded rows stay few (one route at a time).
        rewind: async () => void (await p.store.prisma.ownerTo2Session.deleteMany({})),
        spentOnAccept: false,
      };
    }
    const token = captured.token!;
    const { rewind, session } = await to2SessionOf(p, token);
    const tunnel = tunnelOf(session);
    const sealed = tunnel !== null;
    let valid = captured.body;
    if (sealed) valid = tunnel.decrypt(captured.body);
    return {
      route,
      service: p.owner,
      msgType,
      token,
      valid,
      ...(sealed ? { seal: (plain: Uint8Array) => tunnel.encrypt(plain) } : {}),
      checkReply: async (r) => {
        if (msgType === 62) return checkClear(63, r);
        // The answer to ProveDevice is the first message in the tunnel, keyed by the exchange it completed.
        // Its keys are in the session the reply's token carries.
        const keys = sealed
          ? tunnel
          : r.token === undefined
            ? null
            : tunnelOf((await to2TokenContents(p, r.token)).session);
        return checkSealed(msgType + 1, r, keys);
      },
      snapshot: () => tableDigest(p, TO2_TABLES),
      rewind,
      spentOnAccept: msgType === 70,
    };
  };
}

/** The device's ErrorMessage (255) to the owner in a live session (§3.7): the session ends, nothing else. */
const to2ErrorTarget: Builder = async (p) => {
  const { captured } = await to2Capture(p, 62);
  const token = captured.token!;
  const { rewind } = await to2SessionOf(p, token);
  return {
    route: 'Error (255) to the owner',
    service: p.owner,
    msgType: 255,
    token,
    valid: encodeErrorMessage({
      code: 101,
      prevMsgType: 61,
      message: 'the device refused TO2.HelloDeviceAck',
      timestamp: null,
      correlationId: null,
    }),
    checkReply: async (r) => {
      if (r.msgType !== 255) return `replied with message ${r.msgType}, expected the error echoed`;
      try {
        decodeErrorMessage(r.body);
        return null;
      } catch (err) {
        return `the echo does not decode: ${(err as Error).message}`;
      }
    },
    snapshot: () => tableDigest(p, TO2_TABLES),
    rewind,
    spentOnAccept: false,
  };
};

/** Every FDO route of the platform, by the message type it receives. */
export const TARGETS: Readonly<Record<number, Builder>> = {
  10: diTarget(10),
  12: diTarget(12),
  20: to0Target(20),
  22: to0Target(22),
  30: to1Target(30),
  32: to1Target(32),
  60: to2Target(60),
  62: to2Target(62),
  64: to2Target(64),
  66: to2Target(66),
  68: to2Target(68),
  70: to2Target(70),
  255: to2ErrorTarget,
};

export const ROUTES: readonly number[] = Object.keys(TARGETS).map(Number);
