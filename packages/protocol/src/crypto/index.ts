export type {
  AeadMode,
  AeadParams,
  CryptoProvider,
  Curve,
  DhKeyPair,
  EcdhKeyPair,
  HashAlg,
  PrivateKeyDer,
  PublicKeyDer,
  SignatureAlg,
} from './provider.js';
export { nodeCrypto } from './node.js';
export * from './keys.js';
export { KeyCache } from './key-cache.js';
export { nobleCrypto } from './noble.js';
