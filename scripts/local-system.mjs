// The three services in one process on the embedded default (SQLite, generated keys), wired to each
// other: the manufacturer writes this rendezvous server into vouchers, the owner registers its own
// address for TO2. Used by `npm start` (scripts/start.mjs) and by `npm run demo` when nothing runs yet.
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as manufacturer from '@fdo/manufacturer';
import * as owner from '@fdo/owner';
import * as rendezvous from '@fdo/rendezvous';

/** A free TCP port on `host`: the owner must know its TO2 address before it listens (it sends it in TO0). */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An address devices and the other services can use for a listen address (0.0.0.0 is not one). */
const reachable = (host) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
const urlOf = (host, port) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Starts rendezvous, owner and manufacturer. `ports` of 0 pick free ones. `dataRoot` puts each service's
 * data under dataRoot/<service>; without it the services' own defaults apply (FDO_*_DATA_DIR, ./.data/…).
 * Resolves with each service's URL and first admin-token file, and `stop()` (graceful: in-flight requests
 * finish, the TO0 scheduler stops, databases close).
 */
export async function startLocalSystem({ host = '127.0.0.1', ports, dataRoot, logger = true, env = process.env }) {
  const at = reachable(host);
  const dataDir = (name) => (dataRoot === undefined ? {} : { dataDir: join(dataRoot, name) });
  const started = [];
  const stop = async () => {
    const apps = started.splice(0).reverse();
    await Promise.allSettled(apps.map((s) => s.app.close()));
  };
  try {
    const rv = rendezvous.build({ host, ...dataDir('rendezvous'), logger });
    const rvUrl = urlOf(at, new URL(await rv.listen({ port: ports.rendezvous, host })).port);
    started.push({ name: 'rendezvous', app: rv, url: rvUrl, dataDir: rv.rendezvous.config.dataDir });

    const ownerPort = ports.owner === 0 ? await freePort(host) : ports.owner;
    const ownerUrl = urlOf(at, ownerPort);
    const ow = await owner.build({
      host,
      ...dataDir('owner'),
      ...(env.FDO_OWNER_TO2_ADDRESSES ? {} : { to2Addresses: [ownerUrl] }),
      logger,
    });
    await ow.listen({ port: ownerPort, host });
    started.push({ name: 'owner', app: ow, url: ownerUrl, dataDir: ow.owner.config.dataDir });

    // The rendezvous server burned into devices at DI: this one, unless the operator configured others.
    const rvPort = Number(new URL(rvUrl).port);
    const mfgOverrides = {
      host,
      ...dataDir('manufacturer'),
      ...(env.FDO_MFG_RV || env.FDO_MFG_CONFIG
        ? {}
        : { rendezvous: [{ host: at, protocol: 'http', devPort: rvPort, ownerPort: rvPort }] }),
      logger,
    };
    const mfg = await manufacturer.build(mfgOverrides);
    const mfgUrl = urlOf(at, new URL(await mfg.listen({ port: ports.manufacturer, host })).port);
    const mfgDataDir = manufacturer.loadConfig(env, mfgOverrides).dataDir;
    started.push({ name: 'manufacturer', app: mfg, url: mfgUrl, dataDir: mfgDataDir });
  } catch (err) {
    await stop();
    throw err;
  }
  const services = Object.fromEntries(
    started.map((s) => [s.name, { url: s.url, tokenFile: join(s.dataDir, 'admin-token'), dataDir: s.dataDir }]),
  );
  return { services, stop };
}
