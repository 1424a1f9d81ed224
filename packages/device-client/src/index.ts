/**
 * The device side of FDO over HTTP: DI, TO1 and TO2, onboarding from a credential file, and the
 * device credential file itself.
 */
export * from './credential-file.js';
export * from './devmod.js';
export * from './di.js';
export * from './onboard.js';
export * from './to1.js';
export * from './to2.js';
export * from './modules/index.js';
