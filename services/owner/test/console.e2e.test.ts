/**
 * The owner console in a real browser (Debian's Chromium driven by playwright-core; nothing is
 * downloaded), against the three services on loopback: sign in; import a bundle with one good and one
 * tampered voucher and see both results; watch a device made by DI at the manufacturer go from
 * imported (its rendezvous server is down: the page explains what TO1 would meet) through registered
 * (after "Re-register with rendezvous") to onboarded (TO1 and TO2 by the device-client library, with
 * its credential modules) without reloading; open its device page and see the timeline, its credential
 * profile (an `mqtt` profile of the owner's configuration file, selecting it by tag), the ServiceInfo
 * modules applied and the certificate the owner's issuing CA signed for the key it made; the Profiles
 * view with its devices; assign it another profile (its certificate is revoked) and back. An owner
 * without profiles says so. Screenshots of the fleet view, the device page and the Profiles view go to
 * test-output/console/ for a reviewer.
 *
 * Without /usr/bin/chromium the test says so and skips (`.ci/run` installs it from Debian's packages).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { credentialModules, deviceInitialize, onboard, writeCredentialFile } from '@fdo/device-client';
import { build as buildManufacturer } from '@fdo/manufacturer';
import { build as buildRendezvous } from '@fdo/rendezvous';
import { formatGuid, OwnershipVoucher, publicKeyToPem, readVoucherPem, voucherToPem } from '@fdo/protocol';
import { certificatesFromPem, describeCertificate, verifyCertificateChain } from '@fdo/protocol/x509';
import { sqliteTarget } from '@fdo/storage/testing';
import { freePort } from '../../../packages/robustness/harness/processes.js';
import { build as buildOwner } from '../src/index.js';
import { tempDir } from './helpers.js';

export const CHROMIUM = process.env.FDO_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../../test-output/console/', import.meta.url));

const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: the console's browser tests are skipped (apt-get install chromium; .ci/run does)`;

async function launch(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** Every form control has a label (its own, or aria-label). Page code is passed as text: this file has no DOM types. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return (await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML)`)) as string[];
}

t.test('the owner console: sign in, import, watch a device onboard, its device page', { skip }, async (t) => {
  const dir = tempDir(t, 'fdo-console-');
  const db = sqliteTarget(t);
  const rvPort = await freePort();
  const ownerPort = await freePort();
  const ownerUrl = `http://127.0.0.1:${ownerPort}`;
  // Two credential profiles in the owner's configuration file, as an operator writes them: devices tagged
  // site-a get site-mqtt (ca.pem: the issuing CA, generated on first start); spare-mqtt selects none.
  const ownerConfig = join(dir, 'owner.json');
  writeFileSync(
    ownerConfig,
    JSON.stringify({
      profiles: {
        'site-mqtt': {
          kind: 'mqtt',
          description: 'the broker of site A',
          selector: { tags: ['site-a'] },
          brokerUrl: 'mqtts://broker.site-a.example:8883',
          topicPrefix: 'site-a/{sn}',
        },
        'spare-mqtt': { kind: 'mqtt', selector: { tags: ['spare'] }, brokerUrl: 'mqtts://spare.example:8883' },
      },
    }),
  );
  process.env.FDO_OWNER_CONFIG = ownerConfig;
  const owner = await buildOwner({
    databaseUrl: db.url,
    dataDir: join(dir, 'owner'),
    keyKinds: ['ec256'],
    to2Addresses: [ownerUrl],
    logger: false,
  }).finally(() => delete process.env.FDO_OWNER_CONFIG);
  await owner.listen({ port: ownerPort, host: '127.0.0.1' });
  t.teardown(() => owner.close());
  const admin = readFileSync(join(dir, 'owner', 'admin-token'), 'utf8').trim();

  // The manufacturer extends vouchers to the owner's key; their RV info names the (not yet running) rendezvous.
  const [ownerKey] = owner.owner.keys.list();
  const ownerKeyFile = join(dir, 'owner-key.pem');
  writeFileSync(ownerKeyFile, publicKeyToPem(ownerKey!.publicKey));
  const manufacturer = await buildManufacturer({
    databaseUrl: db.url,
    dataDir: join(dir, 'mfg'),
    keysDir: join(dir, 'mfg-keys'),
    keyKinds: ['ec256'],
    rendezvous: [{ host: '127.0.0.1', protocol: 'http', devPort: rvPort, ownerPort: rvPort }],
    ownerKeyFiles: { '*': [ownerKeyFile] },
    logger: false,
  });
  const mfgUrl = await manufacturer.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => manufacturer.close());
  const mfgAdmin = readFileSync(join(dir, 'mfg', 'admin-token'), 'utf8').trim();
  const voucherOf = async (guid: string) => {
    const res = await fetch(`${mfgUrl}/api/v1/vouchers/${guid}?format=pem`, {
      headers: { authorization: `Bearer ${mfgAdmin}` },
    });
    return readVoucherPem(await res.text()).vouchers[0]!;
  };

  // Two devices through DI; the second one's voucher is tampered with on the way (a flipped signature byte).
  const device = await deviceInitialize({ manufacturerUrl: mfgUrl, serialNumber: 'SN-CONSOLE-1' });
  const guid = formatGuid(device.credential.guid);
  const credentialFile = join(dir, 'device.cred');
  writeCredentialFile(credentialFile, device);
  const other = await deviceInitialize({ manufacturerUrl: mfgUrl, serialNumber: 'SN-CONSOLE-2' });
  const tamperedBytes = (await voucherOf(formatGuid(other.credential.guid))).encode();
  tamperedBytes[tamperedBytes.length - 5]! ^= 0x01; // inside the last entry's signature
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, voucherToPem(await voucherOf(guid)) + voucherToPem(OwnershipVoucher.decode(tamperedBytes)));

  const browser = await launch(t);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  mkdirSync(SCREENSHOTS, { recursive: true });

  await t.test(
    'sign in: nothing without a token; a wrong token is refused; the right one opens the fleet',
    async (t) => {
      const res = await page.goto(`${ownerUrl}/`);
      t.match(page.url(), /\/console\/$/, '/ redirects to the console');
      t.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      t.equal(await page.locator('#nav').isVisible(), false, 'no navigation before sign-in');
      t.equal(await page.locator('#devices').count(), 0, 'no device table before sign-in');
      t.equal(await page.evaluate('document.activeElement?.id'), 'token', 'the token field has the focus');
      await page.keyboard.type('not-a-token');
      await page.keyboard.press('Enter');
      await page.getByRole('alert').filter({ hasText: 'unknown or revoked' }).waitFor();
      await page.fill('#token', admin);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Fleet' }).waitFor();
      t.match(await page.locator('#who-name').textContent(), /admin/);
      // From here on the page is never reloaded: the marker would be gone.
      await page.evaluate('window.stillHere = true');
      t.same(await unlabelledControls(page), [], 'every control of the fleet view has a label');
    },
  );

  await t.test('import a bundle: one voucher imported, the tampered one rejected with the reason', async (t) => {
    await page.getByRole('link', { name: 'Import vouchers' }).click();
    await page.getByRole('heading', { name: 'Import vouchers' }).waitFor();
    t.same(await unlabelledControls(page), [], 'every control of the import view has a label');
    await page.fill('#import-tags', 'site-a');
    await page.setInputFiles('#files', bundle);
    const results = page.locator('#results .results li');
    await results.nth(1).waitFor();
    t.match(await page.locator('#results h2').textContent(), /1 imported, 0 already held, 1 rejected/);
    const imported = await page.locator('#results li[data-result="imported"]').textContent();
    t.match(imported, `Imported — voucher 1 (GUID ${guid})`);
    const rejected = await page.locator('#results li[data-result="rejected"]').textContent();
    t.match(rejected, /^Rejected — voucher 2.*: \S/, `the reason is given: ${rejected}`);

    // The same bundle dropped on the drop zone: the good voucher is now a duplicate.
    const dataTransfer = await page.evaluateHandle(
      `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(readFileSync(bundle, 'utf8'))}], 'again.pem')); return d; })()`,
    );
    await page.dispatchEvent('#drop', 'drop', { dataTransfer });
    const again = page.locator('#results section', { hasText: 'again.pem' });
    await again.waitFor();
    t.match(await again.locator('h2').textContent(), 'again.pem: 0 imported, 1 already held, 1 rejected');
    t.match(await again.locator('li[data-result="duplicate"]').textContent(), /^Already held \(duplicate\)/);
  });

  let rendezvousUp = false;
  let deviceCertificate: ReturnType<typeof describeCertificate> | undefined;
  const story = t;
  await t.test('the fleet shows it imported; its page explains that TO1 would find no registration', async (t) => {
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    const row = page.locator(`#devices tr[data-guid="${guid}"]`);
    await row.waitFor();
    t.equal(await row.getAttribute('data-state'), 'imported');
    t.match(await row.textContent(), /site-a/, 'with the tag given at import');
    t.equal(await page.locator('.counts button[data-state="imported"] .n').textContent(), '1');

    await row.getByRole('link', { name: guid }).click();
    await page.locator('#timeline li[data-step="to0"].error').first().waitFor();
    t.match(
      await page.locator('#to1-problem').textContent(),
      /^TO1: no registration at the rendezvous server: TO0 has not succeeded yet: /,
    );
    t.match(await page.locator('#timeline li.error .explain').first().textContent(), /^TO0: /);
    t.match(await page.locator('#device-state').textContent(), 'Imported');
    t.equal(await page.locator('#device-profile').textContent(), 'site-mqtt (mqtt)', 'its tag selects the profile');
    t.equal(await page.locator('#no-modules').count(), 1, 'no module applied before TO2');
    t.equal(await page.locator('#no-certificates').count(), 1, 'no certificate before TO2');

    // The rendezvous server comes up; "Re-register with rendezvous" runs TO0 now.
    const rendezvous = buildRendezvous({ databaseUrl: db.url, dataDir: join(dir, 'rv'), logger: false });
    await rendezvous.listen({ port: rvPort, host: '127.0.0.1' });
    story.teardown(() => rendezvous.close());
    rendezvousUp = true;
    await page.getByRole('button', { name: 'Re-register with rendezvous' }).click();
    await page.locator('#device-state', { hasText: 'Registered at rendezvous' }).waitFor({ timeout: 15_000 });
    t.equal(await page.locator('#to1-problem').count(), 0, 'no TO1 problem once registered');
  });

  await t.test('watch the device onboard without reloading, then its device page', async (t) => {
    t.ok(rendezvousUp, 'the rendezvous server runs');
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    const row = page.locator(`#devices tr[data-guid="${guid}"]`);
    await row.waitFor();
    t.equal(await row.getAttribute('data-state'), 'registered');
    t.match(await row.textContent(), /registered at rendezvous until/);

    // First power-up: TO1 at the rendezvous server, TO2 here (the device-client library), with the
    // device sides of fdo-platform.profile, fdo.csr and fdo.download.
    const credentialsDir = join(dir, 'credentials');
    const result = await onboard({
      credentialFile,
      devmod: { os: 'Linux', arch: 'aarch64', version: '6.6', device: 'console-board', sn: 'SN-CONSOLE-1' },
      serviceInfoModules: credentialModules({ credentialsDir, downloadDir: join(dir, 'downloads') }),
    });
    t.equal(result.route, 'to1', 'the device found its owner through the rendezvous server');
    const profileDir = join(credentialsDir, 'site-mqtt');
    const config = JSON.parse(readFileSync(join(profileDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    t.match(config, { kind: 'mqtt', profile: 'site-mqtt', topicPrefix: 'site-a/SN-CONSOLE-1' });
    const [received, ...chain] = certificatesFromPem(readFileSync(join(profileDir, 'cert.pem'), 'utf8'));
    const issuingCa = certificatesFromPem(readFileSync(join(dir, 'owner', 'keys', 'issuing-ca.crt.pem'), 'utf8'))[0]!;
    t.same(chain, [issuingCa], 'cert.pem: its certificate, then the issuing CA');
    t.same(await verifyCertificateChain([received!], issuingCa), { valid: true }, 'signed by the issuing CA');
    deviceCertificate = describeCertificate(received!);

    const onboarded = page.locator('#devices tr[data-state="onboarded"]', { hasText: 'SN-CONSOLE-1' });
    await onboarded.waitFor({ timeout: 15_000 });
    t.ok(await page.evaluate('window.stillHere === true'), 'the same page since sign-in, never reloaded');
    t.equal(await page.locator('.counts button[data-state="onboarded"] .n').textContent(), '1');
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet.png'), fullPage: true });

    await onboarded.getByRole('link').first().click();
    await page.locator('#device-state', { hasText: 'Onboarded' }).waitFor();
    const steps = await page
      .locator('#timeline li')
      .evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-step')}:${li.className}`));
    t.match(steps, ['import:ok', 'to0:error'], 'the timeline starts with the import and the failed TO0');
    t.match(steps.slice(-3), ['to0:ok', 'to2:info', 'to2:ok'], '…and ends with TO0, TO2 started, onboarded');
    const body = (await page.locator('main').textContent()) ?? '';
    t.match(body, /SN-CONSOLE-1/, 'devmod serial');
    t.match(body, /aarch64/, 'devmod architecture');
    t.match(body, `Previous GUID${guid}`, 'the GUID before TO2');
    t.match(body, /Entries\d/, 'voucher summary');
    t.equal(await page.locator('#device-profile').textContent(), 'site-mqtt (mqtt)');
    const modules = await page
      .locator('#modules tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const serial = deviceCertificate!.serialNumber;
    t.match(
      modules,
      [
        ['fdo-platform.profile', 'applied'],
        ['fdo.csr', 'applied', new RegExp(`certificate ${serial} issued`)],
        ['fdo.download', 'applied', /ca\.pem: \d+ bytes, config\.json: \d+ bytes/],
      ],
      'the modules of its TO2, each with its result',
    );
    const certificate = page.locator(`#certificates tr[data-serial="${serial}"]`);
    t.equal(await page.locator('#certificates tbody tr').count(), 1, 'one certificate issued');
    t.equal(await certificate.getAttribute('data-revoked'), 'false');
    t.equal(
      await certificate.locator('td.not-after').textContent(),
      await page.evaluate(`new Date(${deviceCertificate!.notAfter.getTime()}).toLocaleString()`),
      'its not-after, as the certificate the device holds says',
    );
    t.equal(await certificate.locator('td.status').textContent(), 'valid');
    t.same(await unlabelledControls(page), [], 'every control of the device page has a label');
    await page.screenshot({ path: join(SCREENSHOTS, 'device.png'), fullPage: true });
  });

  await t.test('the Profiles view lists both profiles and the device; assigning another profile', async (t) => {
    const serial = deviceCertificate!.serialNumber;
    const deviceGuid = (await page.locator('h1 .mono').textContent())!;
    await page.getByRole('link', { name: 'Profiles' }).click();
    const site = page.locator('section[data-profile="site-mqtt"]');
    await site.waitFor();
    const siteText = (await site.textContent()) ?? '';
    t.match(siteText, /Kindmqtt/);
    t.match(siteText, /Connects tomqtts:\/\/broker\.site-a\.example:8883/);
    t.match(siteText, /Applies todevices tagged site-a/);
    t.equal(await site.locator('.device-count').textContent(), '1', 'one device onboarded with it');
    t.equal(
      await site.locator('.profile-devices li').textContent(),
      `${deviceGuid} — Onboarded`,
      'the device, with its state',
    );
    const spare = page.locator('section[data-profile="spare-mqtt"]');
    t.equal(await spare.locator('.device-count').textContent(), '0');
    t.match(await spare.textContent(), /No device is assigned to it or onboarded with it yet/);

    // Its link opens the device page; there the device moves to spare-mqtt: its certificate is revoked.
    await site.getByRole('link', { name: deviceGuid }).click();
    await page.locator('#device-profile', { hasText: 'site-mqtt' }).waitFor();
    await page.selectOption('#profile', 'spare-mqtt');
    await page.getByRole('button', { name: 'Assign profile' }).click();
    await page.locator('#device-profile', { hasText: 'spare-mqtt (mqtt)' }).waitFor();
    t.match(
      await page.locator('main p[role="status"]').textContent(),
      `Profile spare-mqtt assigned; it applies at the next TO2. Certificate(s) ${serial} revoked`,
    );
    const certificate = page.locator(`#certificates tr[data-serial="${serial}"]`);
    t.equal(await certificate.getAttribute('data-revoked'), 'true');
    t.match(
      await certificate.locator('td.status').textContent(),
      /^revoked .*: the device was moved to another profile$/,
    );
    t.match(
      await page.locator('#timeline li[data-step="api"]').last().textContent(),
      /spare-mqtt/,
      'the timeline records the change',
    );

    await page.getByRole('link', { name: 'Profiles' }).click();
    await spare.locator('.profile-devices li').waitFor();
    t.equal(await spare.locator('.device-count').textContent(), '1', 'spare-mqtt: the device assigned to it');
    t.equal(await site.locator('.device-count').textContent(), '1', 'site-mqtt: the device onboarded with it');
    await page.screenshot({ path: join(SCREENSHOTS, 'profiles.png'), fullPage: true });

    // Back to the selectors: the profile its last onboarding delivered.
    await spare.getByRole('link', { name: deviceGuid }).click();
    await page.locator('#device-profile', { hasText: 'spare-mqtt' }).waitFor();
    await page.selectOption('#profile', '');
    await page.getByRole('button', { name: 'Assign profile' }).click();
    await page.locator('#device-profile', { hasText: 'site-mqtt (mqtt)' }).waitFor();
    t.match(await page.locator('main p[role="status"]').textContent(), /selectors decide/);
  });

  await t.test('owner keys', async (t) => {
    await page.getByRole('link', { name: 'Owner keys' }).click();
    const pem = page.locator(`section[data-key="${ownerKey!.id}"] pre`);
    await pem.waitFor();
    t.match(await pem.textContent(), /^-----BEGIN PUBLIC KEY-----/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download public key (.pem)' }).click(),
    ]);
    t.equal(download.suggestedFilename(), `${ownerKey!.id}.pem`);
  });

  await t.test('an owner without credential profiles says so', async (t) => {
    const plain = await buildOwner({
      databaseUrl: sqliteTarget(t).url,
      dataDir: join(dir, 'plain-owner'),
      keyKinds: ['ec256'],
      logger: false,
    });
    const plainUrl = await plain.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => plain.close());
    const other = await context.newPage(); // its own tab: its own session storage
    other.on('pageerror', (err) => pageErrors.push(err.message));
    await other.goto(`${plainUrl}/console/#/profiles`);
    await other.fill('#token', readFileSync(join(dir, 'plain-owner', 'admin-token'), 'utf8').trim());
    await other.keyboard.press('Enter');
    t.match(await other.locator('#no-profiles').textContent(), /^No profiles configured on this owner service/);
    await other.close();
  });

  await t.test('tablet width: the fleet fits without sideways scrolling of the page', async (t) => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    await page.locator('#devices tr[data-state="onboarded"]').waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    t.equal(overflow, 0);
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-tablet.png'), fullPage: true });
  });

  await t.test('sign out forgets the token', async (t) => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    t.same(await page.evaluate('Object.keys(sessionStorage)'), [], 'nothing left in session storage');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    t.equal(await page.locator('#nav').isVisible(), false);
  });

  t.same(pageErrors, [], 'no script error on the page');
});
