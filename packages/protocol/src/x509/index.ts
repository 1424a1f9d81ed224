// X.509 for FDO (@peculiar/x509 over node's WebCrypto): device CSRs, certificates, chains, fingerprints.
export * from './csr.js';
export * from './certificate.js';
export * from './chain.js';
export * from './pkcs7.js';
export { hashAlgOf, importSigningKey, signingAlgorithmFor } from './webcrypto.js';
export * from './crl.js';
