import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RVVariable } from '@fdo/protocol';
import { ConfigError, loadConfig } from '../src/config.js';
import { rendezvousInfoOf, rvEntriesFromText, rvEntryFromObject } from '../src/rendezvous-config.js';
import { tempDir } from './helpers.js';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

t.test('defaults: loopback, port 8039, SQLite under the data folder, the local rendezvous', async (t) => {
  const c = loadConfig({ FDO_MFG_DATA_DIR: '/srv/mfg' });
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 8039);
  t.equal(c.databaseUrl, 'file:/srv/mfg/manufacturer.db');
  t.equal(c.keysDir, '/srv/mfg/keys');
  t.same(c.keyKinds, ['ec256', 'ec384', 'rsa2048', 'rsa3072']);
  t.same(rendezvousInfoOf(c.rendezvous).describe(), ['http://127.0.0.1:8040']);
  t.equal(c.rateLimit.perSecond, 0, 'no per-source limit on the factory network unless configured');
  t.equal(loadConfig({ FDO_MFG_RATE_LIMIT_PER_SECOND: '50' }).rateLimit.perSecond, 50);
});

t.test('RV entries are checked with messages that name the entry and the problem', async (t) => {
  t.same(problems({ FDO_MFG_RV: 'http://rv.example.com:8040 http://10.0.0.1:0' }), [
    'FDO_MFG_RV: RV entry 2: port "0" is not a valid port (1–65535)',
  ]);
  t.match(
    problems({ FDO_MFG_RV: 'ftp://rv.example.com' })[0],
    /RV entry 1: protocol "ftp" is not one of rest, http, https/,
  );
  t.match(
    problems({ FDO_MFG_RV: 'http://rv_bad!:80' })[0],
    /RV entry 1: .* is not a URL|neither a DNS name nor an IP address/,
  );
  t.match(
    problems({ FDO_MFG_RV: 'http://rv.example.com?delay=soon' })[0],
    /RV entry 1: delaySec "soon" is not a number of seconds/,
  );
  t.match(problems({ FDO_MFG_RV: 'http://rv.example.com?colour=red' })[0], /RV entry 1: unknown option "colour"/);
  t.match(problems({ FDO_MFG_RV: 'http://a.example?dev_only&owner_only' })[0], /cannot be both devOnly and ownerOnly/);
  t.throws(() => rvEntryFromObject(3, { dns: 'rv.example.com', prot: 'http' }), /RV entry 3: unknown setting "prot"/);
  t.throws(
    () => rvEntryFromObject(1, { ip: 'rv.example.com' }),
    /"ip" is set to "rv.example.com", which is not an IP address/,
  );
  t.throws(() => rvEntryFromObject(1, { dns: 'rv.example.com', protocol: 'tcp' }), /protocol tcp has no default port/);
});

t.test('RV entries become one RendezvousInfo directive each (§3.3.10)', async (t) => {
  const entries = rvEntriesFromText(
    'https://rv.example.com?owner_port=8443&delay=30, http://[2001:db8::1]:8040?dev_only',
  );
  const info = rendezvousInfoOf(entries);
  t.equal(info.directives.length, 2);
  const first = new Map(info.directives[0]!.map((i) => [i.variable, i.value]));
  t.equal(first.get(RVVariable.Dns), 'rv.example.com');
  t.equal(first.get(RVVariable.DevPort), 443);
  t.equal(first.get(RVVariable.OwnerPort), 8443);
  t.equal(first.get(RVVariable.Protocol), 2);
  t.equal(first.get(RVVariable.Delaysec), 30);
  const second = info.directives[1]!;
  t.ok(second.some((i) => i.variable === RVVariable.IPAddress && (i.value as Uint8Array).length === 16));
  t.ok(second.some((i) => i.variable === RVVariable.DevOnly && i.value === undefined));
  t.same(
    info.deviceEndpoints().map((e) => `${e.protocol}://${e.host}:${e.port}`),
    ['https://rv.example.com:443', 'http://2001:db8::1:8040'],
  );
});

t.test('every other setting names itself and what it expects, all problems at once', async (t) => {
  const found = problems({
    FDO_MFG_PORT: 'eighty',
    FDO_MFG_KEY_TYPES: 'ec256,dsa',
    FDO_MFG_SESSION_TTL: '1',
    FDO_MFG_DEVICE_CA_KEY: '/ca.key',
    FDO_MFG_TAG: 'x'.repeat(200),
  });
  t.equal(found.length, 5);
  t.match(found.join('\n'), /FDO_MFG_PORT: "eighty" is not a port number/);
  t.match(found.join('\n'), /FDO_MFG_KEY_TYPES: "ec256,dsa" must list one or more of ec256, ec384, rsa2048, rsa3072/);
  t.match(found.join('\n'), /FDO_MFG_SESSION_TTL: "1" is not a number of seconds \(10–86400\)/);
  t.match(found.join('\n'), /FDO_MFG_DEVICE_CA_KEY and FDO_MFG_DEVICE_CA_CERT: set both/);
  t.match(found.join('\n'), /FDO_MFG_TAG: a tag is a non-empty line/);
});

t.test('the config file: rendezvous, tags, tag rules and owner keys relative to the file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'manufacturer.json');
  writeFileSync(
    file,
    JSON.stringify({
      rendezvous: [{ dns: 'rv.example.com', port: 8040 }],
      tag: 'PO-1',
      tagRules: [{ serialPattern: '^ACME-', tag: 'PO-ACME' }],
      ownerKeys: { 'PO-ACME': 'acme.pub.pem', '*': ['default.pub.pem'] },
    }),
  );
  const c = loadConfig({ FDO_MFG_CONFIG: file });
  t.equal(c.defaultTag, 'PO-1');
  t.same(c.tagRules, [{ serialPattern: '^ACME-', tag: 'PO-ACME' }]);
  t.same(c.ownerKeyFiles, { 'PO-ACME': [join(dir, 'acme.pub.pem')], '*': [join(dir, 'default.pub.pem')] });
  t.equal(c.rendezvous[0]!.host, 'rv.example.com');

  writeFileSync(
    file,
    JSON.stringify({ rendezvous: [{ dns: 'rv.example.com', port: 0 }], tagRules: [{ serialPattern: '(' }], extra: 1 }),
  );
  t.match(problems({ FDO_MFG_CONFIG: file }), [/unknown setting "extra"/]);
  writeFileSync(
    file,
    JSON.stringify({
      rendezvous: [{ dns: 'a.example' }, { dns: 'b.example', port: 0 }],
      tagRules: [{ serialPattern: '(' }],
    }),
  );
  t.same(problems({ FDO_MFG_CONFIG: file }).length, 2);
  t.match(
    problems({ FDO_MFG_CONFIG: file }).join('\n'),
    /RV entry 2: port 0 is not a valid port[\s\S]*tagRules\[0\]: "serialPattern" is not a valid regular expression/,
  );
  t.match(problems({ FDO_MFG_CONFIG: join(dir, 'missing.json') }), [
    /FDO_MFG_CONFIG: cannot read .*missing.json: ENOENT/,
  ]);
});
