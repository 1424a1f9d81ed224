/** `GET /rendezvous`: per rendezvous server the owner registers at, how many devices are registered, failing, pending or stopped. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './common.js';

export async function rendezvousRoutes(api: FastifyInstance, { registrations }: ApiDeps): Promise<void> {
  api.get(
    '/rendezvous',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              servers: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    url: { type: 'string' },
                    registered: { type: 'integer' },
                    failing: { type: 'integer' },
                    pending: { type: 'integer' },
                    stopped: { type: 'integer', description: 'devices onboarded: TO0 no longer runs for them' },
                  },
                  required: ['url', 'registered', 'failing', 'pending', 'stopped'],
                },
              },
            },
            required: ['servers'],
          },
        },
      },
    },
    async () => ({ servers: await registrations.countsByServer() }),
  );
}
