// Protocol state machines (DI, TO0, TO1, TO2), one folder per protocol, both roles, pure over their inputs.
export { FdoPeerError, type FdoReply, type FdoTransport } from './transport.js';
export * from './di/index.js';
export * from './to0/index.js';
export * from './to1/index.js';
export * from './to2/index.js';
