export * from './guid.js';
export * from './hash.js';
export * from './public-key.js';
export * from './sig-info.js';
export * from './rv-info.js';
export * from './ov-header.js';
export * from './ov-entry.js';
export * from './device-credential.js';
