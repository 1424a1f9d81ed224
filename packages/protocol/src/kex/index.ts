export * from './suites.js';
export { kdf } from './kdf.js';
export * from './exchange.js';
export * from './pairing.js';
export { decodeEcdhParam, encodeEcdhParam, type EcdhParam } from './ecdh.js';
export { MODP14_PRIME, MODP15_PRIME } from './dh-groups.js';
