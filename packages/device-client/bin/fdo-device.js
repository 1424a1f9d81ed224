#!/usr/bin/env node
// The `fdo-device` command: the device side of DI (and TO1, TO2). Needs `npm run build`.
import { runDeviceCli } from '../dist/cli/index.js';

process.exitCode = await runDeviceCli(process.argv.slice(2));
