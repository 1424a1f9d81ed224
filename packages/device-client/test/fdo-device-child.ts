// The `fdo-device` command from the sources, for tests that run it as a child process (through tsx).
import { runDeviceCli } from '../src/cli/index.js';

process.exitCode = await runDeviceCli(process.argv.slice(2));
