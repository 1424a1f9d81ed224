// The standard ServiceInfo modules, device side: what needs the file system, processes or the network.
export * from './files.js';
export * from './download.js';
export * from './upload.js';
export * from './command.js';
export * from './wget.js';
export * from './csr.js';
export * from './wifi.js';
export * from './profile.js';
