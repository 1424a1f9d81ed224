#!/usr/bin/env node
// Runs the whole system in one process on the embedded default: the manufacturer (8039),
// rendezvous (8040) and owner (8042) services on loopback. `npm start` builds first.
// Ports and host can be overridden with MANUFACTURER_PORT, RENDEZVOUS_PORT, OWNER_PORT and HOST.
import * as manufacturer from '@fdo/manufacturer';
import * as rendezvous from '@fdo/rendezvous';
import * as owner from '@fdo/owner';

const host = process.env.HOST ?? '127.0.0.1';
const services = [
  ['manufacturer', manufacturer, Number(process.env.MANUFACTURER_PORT ?? manufacturer.DEFAULT_PORT)],
  ['rendezvous', rendezvous, Number(process.env.RENDEZVOUS_PORT ?? rendezvous.DEFAULT_PORT)],
  ['owner', owner, Number(process.env.OWNER_PORT ?? owner.DEFAULT_PORT)],
];

const apps = [];
for (const [name, mod, port] of services) {
  // build() may be async (the manufacturer opens its database and loads its keys first).
  const app = await mod.build({ port, host });
  await app.listen({ port, host });
  apps.push(app);
  console.log(`${name.padEnd(12)} http://${host}:${port}`);
}
console.log('All services are up. Ctrl-C stops them.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(apps.map((a) => a.close()));
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
