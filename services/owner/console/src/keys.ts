/** The owner's public keys, to send to suppliers (FDO 1.1 §2.7): copy the PEM, or download it or the certificate. */
import { call, getJson } from './api.js';
import { announce, download, fill, h } from './dom.js';
import type { View } from './main.js';

interface OwnerKey {
  id: string;
  type: string;
  sha256: string;
}

export const renderKeys: View = (main) => {
  const body = h('div', {}, 'Loading…');
  fill(
    main,
    h('h1', {}, 'Owner keys'),
    h('p', { class: 'hint' }, 'Suppliers extend vouchers to one of these public keys; then the vouchers import here.'),
    body,
  );
  void (async () => {
    try {
      const { keys } = await getJson<{ keys: OwnerKey[] }>('/owner-keys');
      const sections = await Promise.all(
        keys.map(async (k) => {
          const pem = await (await call('GET', `/owner-keys/${encodeURIComponent(k.id)}.pem`)).text();
          const copy = h('button', { type: 'button' }, 'Copy');
          copy.addEventListener('click', () => {
            navigator.clipboard.writeText(pem).then(
              () => announce(`${k.id} copied`),
              () => announce('Copy failed: select the text and copy it'),
            );
          });
          const save = h('button', { type: 'button', class: 'secondary' }, 'Download public key (.pem)');
          save.addEventListener('click', () => download(`${k.id}.pem`, pem, 'application/x-pem-file'));
          const cert = h('button', { type: 'button', class: 'secondary' }, 'Download certificate (.crt)');
          cert.addEventListener('click', () => {
            void call('GET', `/owner-keys/${encodeURIComponent(k.id)}.crt`)
              .then((r) => r.text())
              .then((text) => download(`${k.id}.crt`, text, 'application/x-pem-file'));
          });
          return h(
            'section',
            { class: 'panel', 'data-key': k.id },
            h('h2', {}, `${k.id} (${k.type})`),
            h('p', {}, 'SHA-256 of the public key: ', h('span', { class: 'mono' }, k.sha256)),
            h('pre', { class: 'key', tabindex: 0, 'aria-label': `${k.id} public key PEM` }, pem),
            h('div', { class: 'row' }, copy, save, cert),
          );
        }),
      );
      fill(body, sections.length === 0 ? h('p', {}, 'No owner key.') : sections);
    } catch (err) {
      fill(body, h('p', { class: 'error' }, `Could not load the keys: ${(err as Error).message}`));
    }
  })();
};
