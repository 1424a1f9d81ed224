/** Starts the manufacturer service and listens until SIGINT/SIGTERM. */
import { listen } from '@fdo/server-kit';
import { build } from './app.js';
import { loadConfig, type ManufacturerConfig } from './config.js';

export async function serve(overrides: Partial<ManufacturerConfig> = {}): Promise<string> {
  const config = loadConfig(process.env, overrides);
  const app = await build(config);
  return listen(app, config.port, config.host);
}
