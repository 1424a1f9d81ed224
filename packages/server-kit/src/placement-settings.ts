/**
 * The settings every service declares under its own prefix for where it runs: the listen address and
 * port, its data folder, and its database (SQLite in the data folder by default).
 */
import { join, resolve } from 'node:path';
import { kinds, setting } from './config.js';

export interface PlacementOptions {
  /** The service's folder and SQLite file name: `./.data/NAME`, `NAME.db`. */
  name: string;
  port: number;
  /** What the data folder holds, for the settings table. */
  dataDirHolds: string;
  /** The database setting's meaning. Default: SQLite, or PostgreSQL for several instances. */
  databaseDescription?: string;
  /** Unprefixed variables also read (e.g. `HOST`, `PORT` for platforms that set them). */
  hostAlsoEnv?: string[];
  portAlsoEnv?: string[];
}

export function placementSettings(prefix: string, o: PlacementOptions) {
  return {
    host: setting(kinds.string(), {
      env: `${prefix}_HOST`,
      ...(o.hostAlsoEnv === undefined ? {} : { alsoEnv: o.hostAlsoEnv }),
      file: 'host',
      default: '127.0.0.1',
      description: 'address to listen on (`0.0.0.0` for every interface)',
    }),
    port: setting(kinds.port(), {
      env: `${prefix}_PORT`,
      ...(o.portAlsoEnv === undefined ? {} : { alsoEnv: o.portAlsoEnv }),
      file: 'port',
      default: o.port,
      description: 'port',
    }),
    dataDir: setting(kinds.path(), {
      env: `${prefix}_DATA_DIR`,
      file: 'dataDir',
      default: () => resolve(`./.data/${o.name}`),
      defaultText: `\`./.data/${o.name}\``,
      description: o.dataDirHolds,
    }),
    databaseUrl: setting(kinds.databaseUrl(`file:/path/to/${o.name}.db`), {
      env: `${prefix}_DATABASE_URL`,
      file: 'databaseUrl',
      default: (v) => `file:${join(v.dataDir as string, `${o.name}.db`)}`,
      defaultText: `\`file:DATA_DIR/${o.name}.db\``,
      description: o.databaseDescription ?? 'SQLite file, or PostgreSQL for several instances',
    }),
  };
}
