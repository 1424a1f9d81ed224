// Runs one rendezvous instance: configuration from FDO_RV_* variables (see config.ts).
import { listen } from '@fdo/server-kit';
import { build } from './app.js';

const app = build();
await app.ready();
const { config } = app.rendezvous;
await listen(app, config.port, config.host);
