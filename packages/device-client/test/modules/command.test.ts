/**
 * fdo.command end to end through the real drivers (fdo-sim fsim-repository/fdo.command.md): args as
 * a CBOR array in a byte string, the device's allow-list, exit codes, output in blocks, timeouts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { decode } from '@fdo/protocol';
import { commandOwner, encodeCommandArgs, type CommandRunResult } from '@fdo/protocol/serviceinfo';
import { commandDevice, EXIT_REFUSED, EXIT_TIMED_OUT } from '../../src/index.js';
import { pair } from './pair.js';

const cwd = mkdtempSync(join(tmpdir(), 'fdo-command-'));
t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
const device = (timeoutMs?: number) => commandDevice({ allow: ['sh'], cwd, ...(timeoutMs ? { timeoutMs } : {}) });
const runs = (r: Awaited<ReturnType<typeof pair>>) => r.owner['fdo.command']!.result as CommandRunResult[];

t.test('args travel as a byte string holding a CBOR array (go-fdo cbor.Bstr[[]string])', async (t) => {
  const value = encodeCommandArgs(['-c', 'echo hi']);
  t.same(decode(value), ['-c', 'echo hi']);
});

t.test('a command runs in the working directory; stdout, stderr and the exit code come back', async (t) => {
  const commands = [
    {
      command: 'sh',
      args: ['-c', 'pwd; echo oops >&2; exit 3'],
      mayFail: true,
      returnStdout: true,
      returnStderr: true,
    },
    { command: 'sh', args: ['-c', 'echo second'], returnStdout: true },
  ];
  const r = await pair([commandOwner({ commands })], [device()]);
  t.match(runs(r), [
    { exitcode: 3, stdout: `${cwd}\n`, stderr: 'oops\n' },
    { exitcode: 0, stdout: 'second\n', stderr: '' },
  ]);
});

t.test('long output is split into blocks that fit a 256-byte budget', async (t) => {
  const commands = [
    { command: 'sh', args: ['-c', 'i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done'], returnStdout: true },
  ];
  const r = await pair([commandOwner({ commands })], [device()], { budget: 256 });
  const out = runs(r)[0]!.stdout.split('\n');
  t.equal(out.length, 401);
  t.equal(out[399], 'line-399');
});

t.test('a command not on the allow-list is refused', async (t) => {
  await t.test('may_fail false: the device ends TO2', async (t) => {
    await t.rejects(pair([commandOwner({ commands: [{ command: 'rm', args: ['-rf', cwd] }] })], [device()]), {
      code: 'ERR_FDO_INVALID_MESSAGE',
      message: /not on this device's allow-list/,
    });
  });
  await t.test('may_fail true: exit code 126 and a reason on stderr', async (t) => {
    const commands = [{ command: '/bin/sh', args: ['-c', 'true'], mayFail: true, returnStderr: true }];
    const r = await pair([commandOwner({ commands })], [device()]);
    t.match(runs(r), [{ exitcode: EXIT_REFUSED, stderr: /allow-list/ }]);
    t.match(r.device['fdo.command'], { result: [{ command: '/bin/sh', refused: true }] });
  });
});

t.test('a failing command ends TO2 unless may_fail; a command over its time is killed', async (t) => {
  await t.rejects(pair([commandOwner({ commands: [{ command: 'sh', args: ['-c', 'exit 1'] }] })], [device()]), {
    message: /exited with 1/,
  });
  const commands = [{ command: 'sh', args: ['-c', 'sleep 5'], mayFail: true }];
  const r = await pair([commandOwner({ commands })], [device(200)]);
  t.match(runs(r), [{ exitcode: EXIT_TIMED_OUT }]);
});
