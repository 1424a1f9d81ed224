#!/usr/bin/env node
// Writes each service's settings table into README.md from its configuration schema (the blocks between
// <!-- settings:NAME --> markers). `--check` only compares, and fails when the README is out of date.
// Run after `npm run build`; each service's test suite runs the same comparison.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readmeSettingsBlock, settingsTable, withSettingsBlock } from '@fdo/server-kit';
import { CONFIG_SCHEMA as manufacturer } from '@fdo/manufacturer';
import { CONFIG_SCHEMA as rendezvous } from '@fdo/rendezvous';
import { CONFIG_SCHEMA as owner } from '@fdo/owner';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const schemas = { manufacturer, rendezvous, owner };
let readme = readFileSync(readmePath, 'utf8');
const stale = [];
for (const [name, schema] of Object.entries(schemas)) {
  const table = settingsTable(schema);
  if (readmeSettingsBlock(readme, name) !== table) stale.push(name);
  readme = withSettingsBlock(readme, name, table);
}
if (process.argv.includes('--check')) {
  if (stale.length > 0) {
    console.error(`README.md settings tables out of date: ${stale.join(', ')} (run npm run docs:config)`);
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, readme);
  console.log(stale.length === 0 ? 'README.md is up to date' : `README.md: updated ${stale.join(', ')}`);
}
