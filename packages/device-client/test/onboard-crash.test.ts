/**
 * A device that dies while onboarding keeps its credential: `fdo-device onboard` in a child process,
 * killed (SIGKILL) while the owner holds TO2 mid-way, or unable to write a single byte (file size limit
 * 0) once TO2 is done. In both cases the credential file is byte for byte what it was, and the next
 * attempt onboards.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formatGuid } from '@fdo/protocol';
import { onboard, readCredentialFile } from '../src/index.js';
import { cliProcess, exited, makeDevice, startTestOwner, tempDir, waitForLine } from './helpers.js';

t.test('SIGKILL in the middle of TO2 (ServiceInfo): the old credential is intact and a retry onboards', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const before = readFileSync(device.file);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let holding = true;
  // The owner holds the first TO2.DeviceServiceInfo (68): the device has its replacement credential
  // in memory (SetupDevice is done) and is waiting for the owner.
  const owner = await startTestOwner(t, [device], {
    beforeAnswer: async (msgType) => {
      if (msgType === 68 && holding) {
        holding = false;
        await held;
      }
    },
  });
  t.teardown(() => release());

  const child = cliProcess(['onboard', '--credential', device.file, '--owner', owner.url]);
  const end = exited(child);
  await waitForLine(child, /^TO2: device proven; new GUID/);
  while (!owner.received.includes(68)) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  const { signal, output } = await end;
  t.equal(signal, 'SIGKILL', 'killed mid-TO2');
  t.notMatch(output, /credential replaced/);
  t.same(readFileSync(device.file), before, 'the credential file is byte for byte the old one');
  release();

  const retry = await onboard({ credentialFile: device.file, ownerUrls: [owner.url] });
  t.equal(retry.oldGuid, formatGuid(device.guid), 'the retry starts from the old credential');
  t.equal(formatGuid(readCredentialFile(device.file).credential.guid), retry.newGuid);
});

t.test('a process that cannot write the new credential (file size limit 0) leaves the old one', async (t) => {
  const dir = tempDir(t);
  const device = await makeDevice(dir);
  const before = readFileSync(device.file);
  const owner = await startTestOwner(t, [device]);
  // `ulimit -f 0`: any write to a regular file fails (EFBIG) or kills the process (SIGXFSZ).
  const child = cliProcess(['onboard', '--credential', device.file, '--owner', owner.url], { shell: 'ulimit -f 0' });
  const { code, signal, output } = await exited(child);
  t.match(output, /TO2: done with/, 'TO2 completed at the owner');
  t.ok(code === 1 || signal === 'SIGXFSZ', `the process failed (code ${code}, signal ${signal})`);
  if (code === 1) t.match(output, /could not be written .* The file still holds GUID/);
  t.same(readFileSync(device.file), before, 'the credential file is byte for byte the old one');

  // Node ignores SIGXFSZ, so the write fails and the temporary file is removed; a writer killed
  // between creating and renaming it would leave one like this, which the next attempt clears.
  writeFileSync(join(dir, '.device.cred.0123456789ab.tmp'), '');
  const retry = await onboard({ credentialFile: device.file, ownerUrls: [owner.url] });
  t.equal(retry.oldGuid, formatGuid(device.guid));
  t.same(readdirSync(dir), ['device.cred'], 'stale temporary files are cleared by the next attempt');
});
