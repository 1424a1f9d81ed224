export * from './voucher.js';
export * from './verify.js';
export * from './extend.js';
export * from './pem.js';
export * from './owner-key.js';
