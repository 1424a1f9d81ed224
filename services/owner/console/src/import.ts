/**
 * Voucher import: drop files or pick them (PEM vouchers, PEM bundles, one CBOR voucher per file), with
 * optional tags; each file is uploaded with a progress bar, and the reply's per-voucher results are
 * listed in plain words (imported, already held, rejected with the reason).
 */
import { ApiFailure, uploadVouchers, type UploadResult } from './api.js';
import { announce, fill, h } from './dom.js';
import type { View } from './main.js';
import { importResultLabel } from './words.js';

function size(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1048576
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** The per-voucher list; long bundles show problems first and at most 500 lines. */
function resultList(file: File, r: UploadResult): HTMLElement {
  const summary = `${file.name}: ${r.imported} imported, ${r.duplicate} already held, ${r.rejected} rejected`;
  const shown = [...r.results]
    .sort((a, b) => Number(b.result === 'rejected') - Number(a.result === 'rejected'))
    .slice(0, 500);
  return h(
    'section',
    { class: 'panel', 'aria-label': `Results for ${file.name}` },
    h('h2', {}, summary),
    h(
      'ul',
      { class: 'results' },
      shown.map((v) =>
        h(
          'li',
          { class: v.result, 'data-result': v.result },
          h('strong', {}, `${importResultLabel(v.result)}`),
          ` — voucher ${v.index + 1}`,
          v.guid === null ? '' : [' (GUID ', h('span', { class: 'mono' }, v.guid), ')'],
          v.reason === undefined ? '' : `: ${v.reason}`,
          v.result === 'imported' && v.guid !== null
            ? [' · ', h('a', { href: `#/device/${v.guid}` }, 'open device')]
            : '',
        ),
      ),
    ),
    r.results.length > shown.length
      ? h('p', { class: 'hint' }, `${r.results.length - shown.length} more not shown.`)
      : null,
  );
}

export const renderImport: View = (main, { canWrite }) => {
  const fileInput = h('input', {
    id: 'files',
    type: 'file',
    multiple: true,
    accept: '.pem,.cbor,.ov,.txt,application/x-pem-file,application/cbor',
    disabled: !canWrite,
  });
  const tags = h('input', { id: 'import-tags', placeholder: 'e.g. PO-7, site-berlin', disabled: !canWrite });
  const drop = h(
    'div',
    { class: 'drop', id: 'drop' },
    h('p', {}, 'Drop voucher files here'),
    h('label', { for: 'files' }, 'or choose files (PEM vouchers, bundles, CBOR)', fileInput),
  );
  const progress = h('div', { id: 'progress' });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  fill(
    main,
    h('h1', {}, 'Import vouchers'),
    canWrite ? null : h('p', { class: 'notice' }, 'Your token has the read scope only: importing needs write.'),
    h(
      'p',
      { class: 'hint' },
      "A voucher is accepted when it verifies and its last entry names one of this owner's keys (give suppliers the keys under Owner keys). Already imported vouchers count as duplicates.",
    ),
    h(
      'div',
      { class: 'panel' },
      h('label', { for: 'import-tags' }, 'Tag every imported voucher with (comma-separated, optional)', tags),
    ),
    drop,
    progress,
    results,
  );

  async function importFiles(files: File[]): Promise<void> {
    const tagList = tags.value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    for (const file of files) {
      const bar = h('progress', { max: file.size || 1, value: 0, 'aria-label': `Uploading ${file.name}` });
      const label = h('span', {}, `${file.name}: starting…`);
      const line = h('div', { class: 'panel' }, label, bar);
      progress.append(line);
      try {
        const r = await uploadVouchers(file, tagList, (sent, total) => {
          bar.max = total || 1;
          bar.value = sent;
          label.textContent = `${file.name}: ${size(sent)} of ${size(total)} sent`;
          if (sent >= total) label.textContent = `${file.name}: sent, checking vouchers…`;
        });
        line.remove();
        results.prepend(resultList(file, r));
        announce(`${file.name}: ${r.imported} imported, ${r.duplicate} duplicates, ${r.rejected} rejected`);
      } catch (err) {
        line.remove();
        const message = err instanceof ApiFailure ? err.message : String(err);
        results.prepend(h('p', { class: 'error', role: 'alert' }, `${file.name}: not imported: ${message}`));
      }
    }
  }

  fileInput.addEventListener('change', () => {
    const files = [...(fileInput.files ?? [])];
    fileInput.value = '';
    void importFiles(files);
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (!canWrite) return;
    void importFiles([...(e.dataTransfer?.files ?? [])]);
  });
};
