import { listen } from '@fdo/server-kit';
import { build, DEFAULT_PORT } from './app.js';

const port = Number(process.env.PORT ?? DEFAULT_PORT);
const host = process.env.HOST ?? '127.0.0.1';
await listen(build(), port, host);
