/**
 * The owner's public keys, for suppliers to extend vouchers to (FDO 1.1 §2.7):
 * `GET /owner-keys` lists them; `GET /owner-keys/:id.pem` is the PUBLIC KEY, `:id.crt` the self-signed
 * certificate (PEM). Never a private key.
 */
import { errorReplySchema, fileResponse } from '@fdo/server-kit';
import { certificatesToPem } from '@fdo/protocol/x509';
import type { FastifyInstance } from 'fastify';
import { publicKeyPem } from '../../keys.js';
import { ApiError, type ApiDeps } from './common.js';

export async function ownerKeyRoutes(api: FastifyInstance, { keys }: ApiDeps): Promise<void> {
  api.get(
    '/owner-keys',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              keys: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    type: { type: 'string', description: 'ec256, ec384, rsa2048 or rsa3072' },
                    sha256: { type: 'string', description: 'SHA-256 of the DER SubjectPublicKeyInfo' },
                    pem: { type: 'string', description: 'path of the PUBLIC KEY PEM' },
                    certificate: { type: 'string', description: 'path of the certificate PEM' },
                  },
                  required: ['id', 'type', 'sha256'],
                },
              },
            },
            required: ['keys'],
          },
        },
      },
    },
    async () => ({
      keys: keys.list().map((k) => ({
        id: k.id,
        type: k.kind,
        sha256: k.sha256,
        pem: `/api/v1/owner-keys/${k.id}.pem`,
        certificate: `/api/v1/owner-keys/${k.id}.crt`,
      })),
    }),
  );

  api.get<{ Params: { file: string } }>(
    '/owner-keys/:file',
    {
      schema: {
        params: {
          type: 'object',
          properties: { file: { type: 'string', maxLength: 64, description: '`<id>.pem` or `<id>.crt`' } },
          required: ['file'],
        },
        response: {
          200: fileResponse('the PUBLIC KEY (.pem) or the self-signed certificate (.crt), PEM', {
            'application/x-pem-file': 'text',
          }),
          404: errorReplySchema,
        },
      },
    },
    async (request, reply) => {
      const m = /^(.+)\.(pem|crt)$/.exec(request.params.file);
      const key = m === null ? undefined : keys.byId(m[1]!);
      if (m === null || key === undefined) {
        throw new ApiError(404, 'not_found', `no owner key ${request.params.file}: GET /api/v1/owner-keys lists them`);
      }
      const isCert = m[2] === 'crt';
      return reply
        .type('application/x-pem-file')
        .header('Content-Disposition', `attachment; filename="${request.params.file}"`)
        .send(isCert ? certificatesToPem([key.certificate]) : publicKeyPem(key));
    },
  );
}
