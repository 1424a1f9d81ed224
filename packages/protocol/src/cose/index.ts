export * from './algorithms.js';
export * from './headers.js';
export * from './sign1.js';
