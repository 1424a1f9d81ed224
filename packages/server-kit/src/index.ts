export { createApp, listen, FDO_MAX_MESSAGE_SIZE, type AppOptions } from './app.js';
export { loggerOptions } from './logger.js';
