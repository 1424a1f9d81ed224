export * from './messages.js';
export * from './owner.js';
