export * from './errors.js';
export * from './cbor/index.js';
export * from './crypto/index.js';
export * from './cose/index.js';
export * from './types/index.js';
export * from './kex/index.js';
export * from './voucher/index.js';
export * from './session/index.js';
