/**
 * The device side of FDO: DI and TO1 (and TO2 as it lands) over HTTP, and the device credential file.
 */
export * from './credential-file.js';
export * from './di.js';
export * from './to1.js';
export * from './modules/index.js';
