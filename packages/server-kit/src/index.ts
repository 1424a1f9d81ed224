export { createApp, listen, FDO_MAX_MESSAGE_SIZE, type AppOptions } from './app.js';
export { loggerOptions } from './logger.js';
export {
  ERROR_MSG_TYPE,
  FDO_PROTOCOL_VERSION,
  fdoRoutes,
  type FdoRequest,
  type FdoResponder,
  type FdoResponse,
  type FdoRoutesOptions,
} from './fdo-routes.js';
export {
  errorReplySchema,
  managementApi,
  type ApiTokenVerifier,
  type AuditRecorder,
  type ManagementApiOptions,
} from './management.js';
