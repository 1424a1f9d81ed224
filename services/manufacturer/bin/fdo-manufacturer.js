#!/usr/bin/env node
// The `fdo-manufacturer` command: serve, and manage API tokens. Needs `npm run build`.
import { runManufacturerCli } from '../dist/cli.js';

const code = await runManufacturerCli(process.argv.slice(2));
// `serve` keeps running (its server holds the event loop); other commands exit with their code.
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
