/**
 * The device side of FDO: DI (and, as they land, TO1 and TO2) over HTTP, and the device credential file.
 */
export * from './credential-file.js';
export * from './di.js';
