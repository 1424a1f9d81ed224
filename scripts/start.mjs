#!/usr/bin/env node
// `npm start`: the whole system in one process on the embedded default (SQLite under ./.data, keys
// generated on first start, migrations applied), on loopback: manufacturer 8039, rendezvous 8040,
// owner 8042. HOST, MANUFACTURER_PORT, RENDEZVOUS_PORT and OWNER_PORT override; every FDO_* setting
// applies as it does to each service (see README, "Configuration").
//
// Ctrl-C (SIGINT) or SIGTERM stops it gracefully: in-flight requests finish, the TO0 scheduler stops,
// databases close. A second Ctrl-C exits at once.
import { startLocalSystem } from './local-system.mjs';

const env = process.env;
const port = (name, fallback) => {
  const value = env[name] ?? String(fallback);
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    console.error(`${name}: "${value}" is not a port number (0–65535)`);
    process.exit(2);
  }
  return Number(value);
};
const ports = {
  manufacturer: port('MANUFACTURER_PORT', 8039),
  rendezvous: port('RENDEZVOUS_PORT', 8040),
  owner: port('OWNER_PORT', 8042),
};

let system;
try {
  system = await startLocalSystem({ host: env.HOST ?? '127.0.0.1', ports });
} catch (err) {
  const hint =
    err.code === 'EADDRINUSE' ? ' (another instance running? set MANUFACTURER_PORT, RENDEZVOUS_PORT, OWNER_PORT)' : '';
  console.error(`could not start: ${err.message}${hint}`);
  process.exit(err.name === 'ConfigError' ? 2 : 1);
}

const lines = [''];
const notReady = [];
for (const [name, s] of Object.entries(system.services)) {
  lines.push(`  ${name.padEnd(12)} ${s.url}   docs ${s.url}/api/v1/docs   admin token: ${s.tokenFile}`);
  const ready = await fetch(`${s.url}/ready`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready) notReady.push(name);
}
lines.push(
  '',
  notReady.length === 0
    ? '  All services are up and ready. Walk a device through DI → TO0 → TO1 → TO2: npm run demo'
    : `  Up, but not ready yet: ${notReady.join(', ')} (GET /ready says why)`,
  `  Owner console (sign in with the owner's admin token): ${system.services.owner.url}/console/`,
  '  Effective configuration: npx fdo-owner config (fdo-manufacturer, fdo-rendezvous alike). Ctrl-C stops.',
  '',
);
console.log(lines.join('\n'));

let stopping = false;
const stop = (signal) => {
  if (stopping) {
    console.error('stopping at once');
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping (in-flight requests finish first)…`);
  system.stop().then(
    () => {
      console.log('stopped');
      process.exit(0);
    },
    (err) => {
      console.error(`stop failed: ${err.message}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
