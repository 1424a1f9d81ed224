/**
 * Secrets every instance of a service must agree on (for example the key that seals TO0/TO1 session
 * tokens), created on first use and kept in the shared database, so a new instance behind the load
 * balancer needs no extra configuration.
 */
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from './database.js';

/** Returns the secret `name` of `service`, creating `bytes` random bytes if none exists yet (race-safe). */
export async function serviceSecret(
  prisma: PrismaClient,
  service: string,
  name: string,
  bytes = 32,
): Promise<Uint8Array> {
  const key = { service_name: { service, name } };
  const found = await prisma.serviceSecret.findUnique({ where: key });
  if (found !== null) return new Uint8Array(found.value);
  try {
    await prisma.serviceSecret.create({ data: { service, name, value: new Uint8Array(randomBytes(bytes)) } });
  } catch {
    // Another instance created it first (unique key): read theirs below.
  }
  const row = await prisma.serviceSecret.findUnique({ where: key });
  if (row === null) throw new Error(`could not create or read secret ${service}/${name}`);
  return new Uint8Array(row.value);
}
