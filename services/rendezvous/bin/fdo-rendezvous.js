#!/usr/bin/env node
// The `fdo-rendezvous` command: serve, and manage management-API tokens. Needs `npm run build`.
import { runRendezvousCli } from '../dist/cli.js';

process.exitCode = await runRendezvousCli(process.argv.slice(2));
