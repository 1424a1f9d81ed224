/**
 * How fast this machine does what the performance targets were derived from: P-256 ECDSA with
 * node:crypto on one core. The targets (README, Performance) were set on a machine that signs
 * 27,000/s and verifies 11,000/s; the 2-vCPU machines these benches have run on differ from one
 * another by a factor of two. Every run prints and records these rates so that figures from two
 * machines can be compared, as a ratio and roughly: HTTP, SQLite and V8 do not scale exactly as ECDSA.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';

/** The rates of the machine the targets were set on. */
export const REFERENCE_P256 = { signPerSecond: 27_000, verifyPerSecond: 11_000 } as const;

export interface CryptoCalibration {
  /** P-256 ECDSA (SHA-256) signatures per second, one core, node:crypto. */
  p256SignPerSecond: number;
  /** P-256 ECDSA verifications per second. */
  p256VerifyPerSecond: number;
  /** This machine's verify rate over the reference machine's: 2 means twice as fast. */
  relativeToReference: number;
}

function rate(seconds: number, op: () => void): number {
  for (let i = 0; i < 200; i++) op(); // warm-up: V8 and OpenSSL's tables
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) op();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Measures for about `2 × seconds` in this process (run it on the CPUs the servers use, or like them). */
export function calibrate(seconds = 0.25): CryptoCalibration {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(256, 7);
  const signature = sign('sha256', data, privateKey);
  const p256SignPerSecond = Math.round(rate(seconds, () => void sign('sha256', data, privateKey)));
  const p256VerifyPerSecond = Math.round(
    rate(seconds, () => {
      if (!verify('sha256', data, publicKey, signature)) throw new Error('calibration: P-256 verify failed');
    }),
  );
  return {
    p256SignPerSecond,
    p256VerifyPerSecond,
    relativeToReference: Math.round((p256VerifyPerSecond / REFERENCE_P256.verifyPerSecond) * 100) / 100,
  };
}

export function describeCalibration(c: CryptoCalibration): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `P-256 with node:crypto on one core: sign ${n(c.p256SignPerSecond)}/s, verify ${n(c.p256VerifyPerSecond)}/s ` +
    `(${c.relativeToReference}× the machine the targets were set on: sign ${n(REFERENCE_P256.signPerSecond)}/s, ` +
    `verify ${n(REFERENCE_P256.verifyPerSecond)}/s)`
  );
}
