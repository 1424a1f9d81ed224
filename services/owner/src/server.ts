// Runs one owner instance: configuration from FDO_OWNER_* variables (see config.ts).
import { listen } from '@fdo/server-kit';
import { build } from './app.js';

const app = await build();
await listen(app, app.owner.config.port, app.owner.config.host);
