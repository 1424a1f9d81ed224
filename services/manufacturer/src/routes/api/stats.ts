/** `GET /stats`: how many vouchers this manufacturer holds (and still owns), and DI sessions in progress. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './common.js';

export async function statsRoutes(api: FastifyInstance, { store }: ApiDeps): Promise<void> {
  api.get(
    '/stats',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              vouchers: { type: 'integer' },
              unextended: { type: 'integer', description: 'vouchers the manufacturer still owns' },
              diSessions: { type: 'integer', description: 'devices between DI.AppStart and DI.SetHMAC' },
            },
            required: ['vouchers', 'unextended', 'diSessions'],
          },
        },
      },
    },
    async () => ({
      vouchers: await store.countVouchers({}),
      unextended: await store.countVouchers({ unextended: true }),
      diSessions: await store.countSessions(),
    }),
  );
}
