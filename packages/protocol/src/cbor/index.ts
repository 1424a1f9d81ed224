export { decode, encode, wrap, Tag, type CborValue } from './codec.js';
export { assertWellFormed, itemEnd, rawArrayItems, DEFAULT_LIMITS, FDO_TAGS, type ScanLimits } from './scan.js';
export * as read from './read.js';
export { concat, equal, timingSafeEqual, toHex, fromHex, toBase64, fromBase64 } from './bytes.js';
