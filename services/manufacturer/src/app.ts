/**
 * The manufacturer service: Device Initialize (DI) and ownership voucher issuance.
 * @NOTE placeholder until its issue lands: it serves only `/health`.
 */
import { createApp } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_PORT = 8039;

export interface ManufacturerConfig {
  port: number;
  host: string;
  logger?: boolean;
}

export function build(config: Partial<ManufacturerConfig> = {}): FastifyInstance {
  return createApp({ service: 'manufacturer', logger: config.logger ?? true });
}
