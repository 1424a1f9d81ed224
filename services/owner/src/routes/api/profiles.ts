/**
 * Operational credential profiles (docs/credential-profiles.md):
 * - `GET /profiles`: the configured profiles and how many devices are assigned or onboarded with each;
 * - `GET /profiles/:name`: one profile and its devices (the first 1000);
 * - `PUT /devices/:guid/profile`: assign a profile (or null: back to the selectors); certificates of
 *   another profile are revoked, so a device moved out of a profile can no longer connect with them;
 * - `POST /devices/:guid/certificate/revoke`: revoke the device's operational certificates (CRL).
 */
import { errorReplySchema } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import type { CredentialProfile } from '../../profiles/definitions.js';
import { ApiError, guidParam, guidParams, notFound, type ApiDeps } from './common.js';

const MAX_LISTED = 1000;

const selectorSchema = {
  type: 'object',
  properties: {
    tags: { type: 'array', items: { type: 'string' } },
    guids: { type: 'array', items: { type: 'string' } },
    devmod: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const profileProperties = {
  name: { type: 'string' },
  kind: { type: 'string', enum: ['mqtt', 'aws-iot', 'azure-iot'] },
  description: { type: 'string' },
  selector: selectorSchema,
  subject: { type: 'string', description: 'certificate subject template' },
  caFile: { type: 'string', description: 'server trust anchors sent as ca.pem' },
  brokerUrl: { type: 'string' },
  clientId: { type: 'string' },
  topicPrefix: { type: 'string' },
  endpoint: { type: 'string' },
  port: { type: 'integer' },
  thingName: { type: 'string' },
  deviceId: { type: 'string' },
  hubHostName: { type: 'string' },
  idScope: { type: 'string' },
  globalEndpoint: { type: 'string' },
} as const;

/** The profile as configured, without certificate contents (file names only). */
function profileJson(p: CredentialProfile): Record<string, unknown> {
  const { ca: _ca, ...rest } = p;
  return rest;
}

const PROFILE_NAME_PARAM = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 64 } },
  required: ['name'],
} as const;

export async function profileRoutes(api: FastifyInstance, { devices, profiles }: ApiDeps): Promise<void> {
  const unknownProfile = (name: string) =>
    new ApiError(
      404,
      'not_found',
      `no credential profile "${name}" (configured: ${
        profiles
          ?.list()
          .map((p) => p.name)
          .join(', ') || 'none'
      }; see FDO_OWNER_PROFILES)`,
    );

  api.get(
    '/profiles',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              profiles: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: profileProperties.name,
                    kind: profileProperties.kind,
                    description: profileProperties.description,
                    selector: selectorSchema,
                    devices: { type: 'integer', description: 'devices assigned to it or onboarded with it' },
                  },
                  required: ['name', 'kind', 'selector', 'devices'],
                },
              },
            },
            required: ['profiles'],
          },
        },
      },
    },
    async () => ({
      profiles: await Promise.all(
        (profiles?.list() ?? []).map(async (p) => ({
          name: p.name,
          kind: p.kind,
          ...(p.description === undefined ? {} : { description: p.description }),
          selector: p.selector,
          devices: (await devices.withProfile(p.name, 0)).count,
        })),
      ),
    }),
  );

  api.get<{ Params: { name: string } }>(
    '/profiles/:name',
    {
      schema: {
        params: PROFILE_NAME_PARAM,
        response: {
          200: {
            type: 'object',
            properties: {
              ...profileProperties,
              deviceCount: { type: 'integer' },
              devices: {
                type: 'array',
                description: `the first ${MAX_LISTED} devices assigned to it or onboarded with it`,
                items: {
                  type: 'object',
                  properties: { guid: { type: 'string' }, state: { type: 'string' } },
                  required: ['guid', 'state'],
                },
              },
            },
            required: ['name', 'kind', 'selector', 'devices'],
          },
          404: errorReplySchema,
        },
      },
    },
    async (request) => {
      const p = profiles?.byName(request.params.name);
      if (p === undefined) throw unknownProfile(request.params.name);
      const { count, devices: listed } = await devices.withProfile(p.name, MAX_LISTED);
      return { ...profileJson(p), deviceCount: count, devices: listed };
    },
  );

  api.put<{ Params: { guid: string }; Body: { profile: string | null } }>(
    '/devices/:guid/profile',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { profile: { type: ['string', 'null'], maxLength: 64 } },
          required: ['profile'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              guid: { type: 'string' },
              profile: { type: ['string', 'null'] },
              revoked: { type: 'array', items: { type: 'string' }, description: 'certificate serials revoked' },
            },
            required: ['guid', 'profile'],
          },
          400: errorReplySchema,
          404: errorReplySchema,
        },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      const name = request.body.profile;
      if (name !== null && profiles?.byName(name) === undefined) throw unknownProfile(name);
      const device = await devices.get(guid);
      if (device === null || !(await devices.assignProfile(guid, name))) throw notFound(guid);
      let revoked: string[] = [];
      if (profiles !== null) {
        // What the device gets from now on; certificates of any other profile stop working.
        const now = profiles.effective({ ...device, profile: name, onboardedProfile: null });
        revoked = await profiles.certificates.revoke(device.id, 'profile-changed', now);
      }
      return { guid: device.guid, profile: name, revoked };
    },
  );

  api.post<{ Params: { guid: string }; Body: { reason?: string } | undefined }>(
    '/devices/:guid/certificate/revoke',
    {
      config: { scope: 'write' },
      schema: {
        params: guidParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { reason: { type: 'string', maxLength: 200, description: "kept in the device's timeline" } },
        },
        response: {
          200: {
            type: 'object',
            properties: { guid: { type: 'string' }, revoked: { type: 'array', items: { type: 'string' } } },
            required: ['guid', 'revoked'],
          },
          400: errorReplySchema,
          404: errorReplySchema,
        },
      },
    },
    async (request) => {
      const guid = guidParam(request.params.guid);
      const device = await devices.get(guid);
      if (device === null) throw notFound(guid);
      const revoked = profiles === null ? [] : await profiles.certificates.revoke(device.id, 'api');
      const why = request.body?.reason === undefined ? '' : `: ${request.body.reason}`;
      await devices.record(device.guid, 'api', 'info', `certificates revoked (${revoked.join(', ') || 'none'})${why}`);
      return { guid: device.guid, revoked };
    },
  );
}
