// The manufacturer's management API (mounted under /api/v1 by managementApi, which checks API tokens).
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './common.js';
import { exportRoutes } from './export.js';
import { extendRoutes } from './extend.js';
import { statsRoutes } from './stats.js';
import { voucherRoutes } from './vouchers.js';

export type { ApiDeps } from './common.js';

export async function managementRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  await exportRoutes(api, deps);
  await voucherRoutes(api, deps);
  await extendRoutes(api, deps);
  await statsRoutes(api, deps);
}
