/**
 * Device status, the owner's main view:
 * - `GET /devices?state=&tag=&q=&from=&to=&limit=&cursor=`: devices in import order with their state;
 * - `GET /devices/counts?tag=`: how many devices are in each state;
 * - `GET /devices/:guid`: one device with its rendezvous registrations and its timeline.
 */
import { errorReplySchema } from '@fdo/server-kit';
import type { FastifyInstance } from 'fastify';
import type { Profiles } from '../../profiles/profiles.js';
import type { DeviceStatus } from '../../store/device-status.js';
import {
  filterOf,
  filterQueryProperties,
  guidParam,
  guidParams,
  iso,
  nextCursor,
  notFound,
  pageOf,
  pageQueryProperties,
  TAG_SCHEMA,
  type ApiDeps,
  type FilterQuery,
} from './common.js';

const nullableDate = { type: ['string', 'null'], format: 'date-time' } as const;

const deviceSchema = {
  type: 'object',
  properties: {
    guid: { type: 'string' },
    deviceInfo: { type: 'string' },
    state: { type: 'string' },
    stateAt: { type: 'string', format: 'date-time' },
    importedAt: { type: 'string', format: 'date-time' },
    registeredUntil: nullableDate,
    to2StartedAt: nullableDate,
    onboardedAt: nullableDate,
    failedAt: nullableDate,
    failedStep: { type: ['string', 'null'] },
    failedReason: { type: ['string', 'null'] },
    facts: {
      type: 'object',
      properties: {
        os: { type: 'string' },
        arch: { type: 'string' },
        version: { type: 'string' },
        serial: { type: 'string' },
      },
    },
    credentialReuse: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    previousGuid: {
      type: ['string', 'null'],
      description: 'the GUID before the last TO2, until the device shows up with the new one',
    },
    transferredAt: nullableDate,
    transferredTo: { type: ['string', 'null'], description: "SHA-256 of the next owner's key (resale)" },
    profile: {
      type: ['string', 'null'],
      description: 'credential profile: assigned, else delivered by the last TO2, else matched by the selectors',
    },
  },
  required: ['guid', 'state', 'stateAt', 'importedAt', 'tags'],
} as const;

function deviceJson(d: DeviceStatus, profiles: Profiles | null) {
  return {
    guid: d.guid,
    deviceInfo: d.deviceInfo,
    state: d.state,
    stateAt: d.stateAt.toISOString(),
    importedAt: d.importedAt.toISOString(),
    registeredUntil: iso(d.registeredUntil),
    to2StartedAt: iso(d.to2StartedAt),
    onboardedAt: iso(d.onboardedAt),
    failedAt: iso(d.failedAt),
    failedStep: d.failedStep,
    failedReason: d.failedReason,
    facts: d.facts,
    credentialReuse: d.credentialReuse,
    tags: d.tags,
    previousGuid: d.previousGuid,
    transferredAt: iso(d.transferredAt),
    transferredTo: d.transferredTo,
    profile: profiles?.effective(d) ?? d.profile,
  };
}

const countsSchema = {
  type: 'object',
  properties: {
    imported: { type: 'integer' },
    registered: { type: 'integer' },
    'to2-started': { type: 'integer' },
    onboarded: { type: 'integer' },
    failed: { type: 'integer' },
    transferred: { type: 'integer' },
    total: { type: 'integer' },
  },
  required: ['imported', 'registered', 'to2-started', 'onboarded', 'failed', 'transferred', 'total'],
} as const;

export async function deviceRoutes(api: FastifyInstance, { devices, profiles }: ApiDeps): Promise<void> {
  api.get<{ Querystring: FilterQuery & { q?: string; limit?: number; cursor?: string } }>(
    '/devices',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterQueryProperties,
            ...pageQueryProperties,
            q: {
              type: 'string',
              minLength: 1,
              maxLength: 128,
              description: 'GUID prefix, serial number or device info text',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { devices: { type: 'array', items: deviceSchema }, nextCursor: { type: ['string', 'null'] } },
            required: ['devices', 'nextCursor'],
          },
          400: errorReplySchema,
        },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const filter = { ...filterOf(request.query), ...(request.query.q === undefined ? {} : { q: request.query.q }) };
      const rows = await devices.list(filter, page);
      return { devices: rows.map((d) => deviceJson(d, profiles)), nextCursor: nextCursor(rows, page.limit) };
    },
  );

  api.get<{ Querystring: { tag?: string } }>(
    '/devices/counts',
    {
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { tag: TAG_SCHEMA } },
        response: { 200: countsSchema },
      },
    },
    async (request) => devices.counts(request.query.tag === undefined ? {} : { tag: request.query.tag }),
  );

  api.get<{ Params: { guid: string } }>(
    '/devices/:guid',
    {
      schema: {
        params: guidParams,
        response: {
          200: {
            type: 'object',
            properties: {
              ...deviceSchema.properties,
              rendezvous: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    url: { type: 'string' },
                    state: { type: 'string' },
                    registeredUntil: nullableDate,
                    failures: { type: 'integer' },
                    lastError: { type: ['string', 'null'] },
                    nextAttemptAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
              serviceInfo: {
                type: 'array',
                description: 'the ServiceInfo modules of its last TO2 and their outcome',
                items: {
                  type: 'object',
                  properties: {
                    module: { type: 'string' },
                    result: { type: 'string', description: 'ok | error | not-supported | incomplete' },
                    at: { type: 'string', format: 'date-time' },
                    detail: { type: 'string' },
                  },
                  required: ['module', 'result', 'at'],
                },
              },
              certificates: {
                type: 'array',
                description: 'operational certificates the issuing CA signed for it',
                items: {
                  type: 'object',
                  properties: {
                    serial: { type: 'string' },
                    profile: { type: ['string', 'null'] },
                    subject: { type: 'string' },
                    issuedAt: { type: 'string', format: 'date-time' },
                    notAfter: { type: 'string', format: 'date-time' },
                    revokedAt: nullableDate,
                    revokedReason: { type: ['string', 'null'] },
                  },
                },
              },
              events: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    at: { type: 'string', format: 'date-time' },
                    step: { type: 'string' },
                    outcome: { type: 'string' },
                    message: { type: ['string', 'null'] },
                  },
                },
              },
            },
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
      const [rendezvous, events, certificates] = await Promise.all([
        devices.rendezvous(device.guid),
        devices.events(device.guid),
        profiles?.certificates.forDevice(device.id) ?? [],
      ]);
      const at = iso(device.onboardedAt);
      return {
        ...deviceJson(device, profiles),
        serviceInfo: at === null ? [] : device.serviceInfo.map((m) => ({ ...m, at })),
        certificates: certificates.map((c) => ({
          serial: c.serial,
          profile: c.profile,
          subject: c.subject,
          issuedAt: c.issuedAt.toISOString(),
          notAfter: c.notAfter.toISOString(),
          revokedAt: iso(c.revokedAt),
          revokedReason: c.revokedReason,
        })),
        rendezvous: rendezvous.map((r) => ({
          ...r,
          registeredUntil: iso(r.registeredUntil),
          nextAttemptAt: r.nextAttemptAt.toISOString(),
        })),
        events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
      };
    },
  );
}
