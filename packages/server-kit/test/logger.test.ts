import { Writable } from 'node:stream';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { createApp } from '../src/index.js';

/** An app whose pino lines the test reads; its route logs what the query asks for through request.log. */
async function start(t: Test, level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = createApp({ service: 'test', loggerInstance: pino({ level }, stream) });
  app.get<{ Querystring: { at?: string; child?: string } }>('/log', async (request) => {
    const at = request.query.at;
    if (at === 'info') request.log.info({ secret: 'hidden' }, 'an info line');
    if (at === 'warn') request.log.warn('a warn line');
    if (request.query.child !== undefined) request.log.child({ part: request.query.child }).warn('a child line');
    return {
      level: request.log.level,
      infoEnabled: (request.log as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled('info'),
    };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const get = async (query: string) => (await fetch(`${url}/log?${query}`)).json() as Promise<Record<string, unknown>>;
  const written = (msg: string) => lines.filter((l) => l.msg === msg);
  return { get, lines, written };
}

t.test('request.log at level warn: lines below it are not written, lines at it carry the reqId', async (t) => {
  const { get, lines, written } = await start(t, 'warn');
  t.same(await get('at=info'), { level: 'warn', infoEnabled: false });
  t.equal(written('an info line').length, 0);
  t.equal(lines.length, 0, 'no request logging below warn either');
  await get('at=warn');
  const [warn] = written('a warn line');
  t.equal(warn?.level, 40);
  t.match(warn?.reqId, /^req-/, 'the request id binding is on the line');
  await get('child=kex');
  const [child] = written('a child line');
  t.equal(child?.part, 'kex', 'a child of request.log keeps its own bindings');
  t.match(child?.reqId, /^req-/, '… and the request id');
});

t.test('request.log at level info: the lines and Fastify request logs are written as before', async (t) => {
  const { get, written } = await start(t, 'info');
  t.same(await get('at=info'), { level: 'info', infoEnabled: true });
  const [info] = written('an info line');
  t.match(info?.reqId, /^req-/);
  t.equal(written('incoming request').length, 1);
  t.equal(written('request completed').length, 1);
  t.equal(written('incoming request')[0]?.reqId, info?.reqId, 'one request, one id');
});
