#!/usr/bin/env node
// The `fdo-voucher` command: inspect, verify and extend ownership vouchers. Needs `npm run build`.
import { runVoucherCli } from '../dist/cli/voucher.js';

process.exitCode = runVoucherCli(process.argv.slice(2));
