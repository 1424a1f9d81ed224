/**
 * The owner service: voucher import, TO0 automation and TO2 onboarding.
 * @NOTE placeholder until its issue lands: it serves only `/health`.
 */
import { createApp } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_PORT = 8042;

export interface OwnerConfig {
  port: number;
  host: string;
  logger?: boolean;
}

export function build(config: Partial<OwnerConfig> = {}): FastifyInstance {
  return createApp({ service: 'owner', logger: config.logger ?? true });
}
