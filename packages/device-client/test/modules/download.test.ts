/**
 * fdo.download end to end through the real drivers (fdo-sim fsim-repository/fdo.download.md):
 * chunked at small budgets, SHA-384 checked, written atomically inside the download directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { downloadOwner, type DownloadSource } from '@fdo/protocol/serviceinfo';
import { downloadDevice } from '../../src/index.js';
import { pair } from './pair.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdo-download-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a 10 kB file crosses many 256-byte ServiceInfo messages and lands intact', async (t) => {
  const dir = tempDir(t);
  const data = randomBytes(10_000);
  const r = await pair(
    [downloadOwner({ files: [{ name: 'fw/update.bin', contents: data }] })],
    [downloadDevice({ dir })],
    {
      budget: 256,
    },
  );
  t.same(readFileSync(join(dir, 'fw/update.bin')), data);
  t.ok(r.messages > 40, `${r.messages} messages`);
  t.match(r.owner['fdo.download'], {
    phase: 'done',
    result: [{ name: 'fw/update.bin', length: 10_000, done: 10_000 }],
  });
  t.same(readdirSync(join(dir, 'fw')), ['update.bin'], 'no temporary file left');
});

t.test('several files, an empty one among them, replace what was there', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.txt'), 'old contents');
  const files = [
    { name: 'a.txt', contents: Buffer.from('new') },
    { name: 'empty', contents: new Uint8Array(0) },
    { name: join(dir, 'abs.txt'), contents: Buffer.from('absolute inside the directory') },
  ];
  const r = await pair([downloadOwner({ files })], [downloadDevice({ dir })]);
  t.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'new');
  t.equal(readFileSync(join(dir, 'empty')).length, 0);
  t.equal(readFileSync(join(dir, 'abs.txt'), 'utf8'), 'absolute inside the directory');
  t.same(
    (r.owner['fdo.download']!.result as { done: number }[]).map((f) => f.done),
    [3, 0, 29],
  );
});

t.test('a SHA-384 mismatch is reported as -1 and nothing is written', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'conf'), 'keep me');
  // The source changes between hashing and sending (a file rewritten under the owner).
  let reads = 0;
  const source: DownloadSource = {
    length: 3000,
    read: (offset, n) => Buffer.alloc(n, reads++ === 0 ? 1 : 2),
  };
  const r = await pair([downloadOwner({ files: [{ name: 'conf', contents: source }] })], [downloadDevice({ dir })], {
    budget: 512,
  });
  t.match(r.owner['fdo.download']!.result, [{ name: 'conf', done: -1 }]);
  t.equal(readFileSync(join(dir, 'conf'), 'utf8'), 'keep me', 'the old file is untouched');
  t.same(readdirSync(dir), ['conf'], 'the temporary file is removed');
  t.match(r.device['fdo.download'], { result: [{ name: 'conf', error: 'SHA-384 mismatch' }] });
});

t.test('a required download that fails ends the exchange', async (t) => {
  const dir = tempDir(t);
  const owner = downloadOwner({ files: [{ name: '../x', contents: Buffer.from('x'), required: true }] });
  await t.rejects(pair([owner], [downloadDevice({ dir })]), { code: 'ERR_FDO_INVALID_MESSAGE' });
});

t.test('names that leave the download directory are refused before any write', async (t) => {
  const root = tempDir(t);
  const dir = join(root, 'downloads');
  const files = ['../escape.txt', '/tmp/../etc/passwd-fdo', 'sub/../../escape2.txt', ''].map((name) => ({
    name,
    contents: Buffer.from('attack'),
  }));
  const r = await pair([downloadOwner({ files })], [downloadDevice({ dir })]);
  t.same(
    (r.owner['fdo.download']!.result as { done: number }[]).map((f) => f.done),
    [-1, -1, -1, -1],
  );
  t.notOk(existsSync(join(root, 'escape.txt')));
  t.notOk(existsSync(join(root, 'escape2.txt')));
  t.notOk(existsSync('/etc/passwd-fdo'));
});
