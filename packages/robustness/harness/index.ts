export * from './capture.js';
export * from './fuzz.js';
export * from './platform.js';
export * from './targets.js';
