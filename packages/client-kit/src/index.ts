export {
  FDO_PROTOCOL_VERSION,
  FdoTransportError,
  httpTransport,
  messageUrl,
  type HttpTransport,
  type HttpTransportOptions,
} from './http-transport.js';
