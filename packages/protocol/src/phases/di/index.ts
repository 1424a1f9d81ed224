// DI (FDO 1.1 §5.2): both roles. The manufacturer answers through diResponder over a DiManufacturerState;
// the device runs runDI over an FdoTransport.
export * from './state.js';
export { handleAppStart, keyKindOf, MAX_SERIAL_LENGTH, sendAppStart } from './app-start.js';
export { handleSetHmac, sendSetHmac } from './set-hmac.js';
export * from './responder.js';
export * from './client.js';
