// The standard ServiceInfo modules, owner side (fdo-sim fsim-repository), with their message tables.
export * from './download/index.js';
export * from './upload/index.js';
export * from './command/index.js';
export * from './wget/index.js';
export * from './csr/index.js';
export * from './wifi/index.js';
export * from './profile/index.js';
