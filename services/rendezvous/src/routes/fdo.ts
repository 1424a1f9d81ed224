/**
 * The FDO routes of the rendezvous service: TO0 (20, 22) and TO1 (30, 32) on `POST /fdo/101/msg/:type`,
 * answered by the protocol package's responders over this service's stores.
 */
import { TO0_REQUEST_TYPES, TO1_REQUEST_TYPES, type Responder } from '@fdo/protocol';
import { fdoRoutes, type FdoResponder, type SessionOutcome } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';

export const RENDEZVOUS_MESSAGE_TYPES: readonly number[] = [...TO0_REQUEST_TYPES, ...TO1_REQUEST_TYPES];

export async function registerFdoRoutes(
  app: FastifyInstance,
  to0: Responder,
  to1: Responder,
  onOutcome?: (outcome: SessionOutcome) => void,
): Promise<void> {
  const to0Types = new Set(TO0_REQUEST_TYPES);
  const responder: FdoResponder = (request) => (to0Types.has(request.msgType) ? to0(request) : to1(request));
  await app.register(fdoRoutes, {
    responder,
    messageTypes: RENDEZVOUS_MESSAGE_TYPES,
    ...(onOutcome === undefined ? {} : { onOutcome }),
  });
}
