export * from './guid.js';
export * from './hash.js';
export * from './public-key.js';
export * from './sig-info.js';
