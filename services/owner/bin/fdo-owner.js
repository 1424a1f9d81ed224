#!/usr/bin/env node
// The `fdo-owner` command: serve, and manage management-API tokens. Needs `npm run build`.
import { runOwnerCli } from '../dist/cli.js';

process.exitCode = await runOwnerCli(process.argv.slice(2));
