export * from './algorithms.js';
export * from './headers.js';
export * from './sign1.js';
export * from './mac-algorithms.js';
export * from './encryption-algorithms.js';
export * from './mac0.js';
export * from './encrypt0.js';
