/**
 * The rendezvous service: TO0 and TO1.
 * @NOTE placeholder until its issue lands: it serves only `/health`.
 */
import { createApp } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_PORT = 8040;

export interface RendezvousConfig {
  port: number;
  host: string;
  logger?: boolean;
}

export function build(config: Partial<RendezvousConfig> = {}): FastifyInstance {
  return createApp({ service: 'rendezvous', logger: config.logger ?? true });
}
