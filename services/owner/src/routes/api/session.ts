/**
 * `GET /session`: who the request authenticates as (the API token's name and scopes, and the client
 * certificate's subject under mutual TLS). The console signs in with it; scripts use it to check a token.
 * It needs only the `read` scope, which every token has.
 */
import { API_SCOPES } from '@fdo/storage';
import type { FastifyInstance } from 'fastify';

export async function sessionRoutes(api: FastifyInstance): Promise<void> {
  api.get(
    '/session',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string', description: "the API token's name, or the certificate subject" },
              tokenId: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string', enum: API_SCOPES } },
              clientCertificate: {
                type: ['string', 'null'],
                description: 'subject of the verified client certificate (mutual TLS), else null',
              },
            },
            required: ['name', 'tokenId', 'scopes', 'clientCertificate'],
          },
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      return {
        name: principal.name,
        tokenId: principal.tokenId,
        scopes: principal.scopes,
        clientCertificate: request.clientCertificate?.subject ?? null,
      };
    },
  );
}
