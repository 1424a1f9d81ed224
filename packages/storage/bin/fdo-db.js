#!/usr/bin/env node
// The `fdo-db` command: apply and inspect database migrations. Needs `npm run build`.
import { runDbCli } from '../dist/cli.js';

process.exitCode = await runDbCli(process.argv.slice(2));
