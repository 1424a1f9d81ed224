import t from 'tap';
import { Progress } from '../src/index.js';

const capture = () => {
  const out: string[] = [];
  return { out, io: { stdout: () => {}, stderr: (s: string) => void out.push(s) } };
};

t.test('in a log: a line at each tenth, none repeated', async (t) => {
  const { out, io } = capture();
  const p = new Progress(io, 'bundle.pem', 1000, 'bytes', false);
  for (let i = 0; i < 100; i++) p.add(10);
  p.finish();
  t.same(
    out,
    [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map(
      (pct) => `bundle.pem: ${pct}% (${((pct * 10) / 1024).toFixed(0)} KiB)\n`,
    ),
  );
});

t.test('on a terminal: one bar redrawn in place, ended by a newline', async (t) => {
  const { out, io } = capture();
  const p = new Progress(io, 'up', 4 << 20, 'bytes', true);
  p.add(1 << 20);
  p.add(1 << 20);
  p.finish();
  t.match(out[0], /^\rup \[#{8}\.{22}\] 25% \(1\.0 MiB\)$/);
  t.match(out[1], /^\rup \[#{15}\.{15}\] 50% \(2\.0 MiB\)$/);
  t.equal(out.at(-1), '\n');
  t.equal(out.length, 3);
});
