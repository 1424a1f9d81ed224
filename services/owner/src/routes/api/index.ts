// The owner's management API (mounted under /api/v1 by managementApi, which checks API tokens).
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './common.js';
import { deviceRoutes } from './devices.js';
import { importRoutes } from './import.js';
import { ownerKeyRoutes } from './owner-keys.js';
import { profileRoutes } from './profiles.js';
import { rendezvousRoutes } from './rendezvous.js';
import { resaleRoutes } from './resale.js';
import { sessionRoutes } from './session.js';
import { voucherRoutes } from './vouchers.js';

export type { ApiDeps } from './common.js';

export async function managementRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  await sessionRoutes(api);
  await ownerKeyRoutes(api, deps);
  await voucherRoutes(api, deps);
  await resaleRoutes(api, deps);
  // Its own context: the import body is a stream, not a buffer.
  await api.register(async (sub) => importRoutes(sub, deps));
  await deviceRoutes(api, deps);
  await rendezvousRoutes(api, deps);
  await profileRoutes(api, deps);
}
