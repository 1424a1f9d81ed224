/** JSON schemas shared by the management routes. */
import { errorReplySchema, noContentResponse } from '@fdo/server-kit';

export { errorReplySchema, noContentResponse };

export const guidParam = {
  type: 'object',
  properties: {
    guid: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$',
      description: 'device GUID: 32 hex digits, with or without dashes',
    },
  },
  required: ['guid'],
} as const;

export const timestamp = { type: 'string', format: 'date-time' } as const;
export const nullableText = { type: ['string', 'null'] } as const;
