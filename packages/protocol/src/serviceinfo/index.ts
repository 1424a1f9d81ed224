// ServiceInfo modules (FDO 1.1 §3.8): the module interfaces, devmod, and the drivers TO2 runs.
export * from './module.js';
export * from './devmod.js';
export * from './owner-driver.js';
export * from './device-driver.js';
export * from './select.js';
export * from './chunk.js';
export * from './modules/index.js';
