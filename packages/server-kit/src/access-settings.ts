/**
 * The settings every service declares under its own prefix (`FDO_MFG`, `FDO_RV`, `FDO_OWNER`) for who may
 * reach what: TLS and mutual TLS (tls.ts), `/metrics` access, and the API docs.
 */
import { kinds, setting } from './config.js';
import { tlsSettings } from './tls.js';

/**
 * Access to the management API and `/metrics`, the same for every service under its own prefix
 * (`FDO_MFG`, `FDO_RV`, `FDO_OWNER`).
 */
export function accessSettings(prefix: string) {
  return {
    ...tlsSettings(prefix),
    metricsAuth: setting(kinds.oneOf(['token', 'none'] as const), {
      env: `${prefix}_METRICS_AUTH`,
      file: 'metrics.auth',
      default: 'token',
      description:
        '`/metrics` needs a management API token with the read scope (`token`), or is open (`none`: only where devices cannot reach the port)',
    }),
    apiDocs: setting(kinds.bool(), {
      env: `${prefix}_API_DOCS`,
      file: 'apiDocs',
      default: true,
      description: 'serve the OpenAPI document (`/api/v1/openapi.json`) and the docs page (`/api/v1/docs`)',
    }),
  };
}
