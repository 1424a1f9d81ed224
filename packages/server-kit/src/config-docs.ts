/**
 * A configuration schema shown to people: the effective configuration (`fdo-<service> config`, secrets
 * redacted, each value with where it came from) and the README's settings table, generated from the
 * schema so the two cannot drift (a test compares them).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './cli.js';
import { ConfigError, loadSettings, showValue, type ConfigSchema, type Setting, type Settings } from './config.js';

export interface EffectiveSetting {
  key: string;
  env: string | null;
  file: string | null;
  value: string;
  source: 'default' | 'env' | 'file';
  secret: boolean;
}

/** The configuration as the service would start with it; throws {@link ConfigError} when it is invalid. */
export function effectiveConfig(schema: ConfigSchema, env: Record<string, string | undefined>): EffectiveSetting[] {
  const loaded = loadSettings(schema, env);
  if (loaded.problems.length > 0) throw new ConfigError(loaded.problems, schema.service);
  return Object.entries(schema.settings).map(([key, s]) => ({
    key,
    env: s.env ?? null,
    file: s.file ?? null,
    value: showValue(s, (loaded.values as Record<string, unknown>)[key]),
    source: loaded.sources[key]!,
    secret: s.secret === true,
  }));
}

function defaultText(s: Setting<unknown>): string {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.default === undefined || s.default === null) return 'none';
  const shown = s.secret === true ? 'generated' : s.kind.show(s.default);
  return shown === '' ? 'none' : `\`${shown}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README table of `schema`: variable, file key, default, meaning and what a value must be. */
export function settingsTable(schema: ConfigSchema): string {
  const rows = Object.values(schema.settings as Settings).map((s: Setting<unknown>) => {
    const names = [s.env, ...(s.alsoEnv ?? [])].filter((n) => n !== undefined).map((n) => `\`${n}\``);
    const secret = s.secret === true ? ' (a secret: never logged or printed)' : '';
    const file = s.file === undefined ? '' : `\`${s.file}\``;
    return `| ${names.join(', ') || '(file only)'} | ${file} | ${cell(defaultText(s))} | ${cell(s.description)}${secret} | ${cell(s.kind.expect)} |`;
  });
  return [
    `| variable | \`${schema.fileEnv}\` key | default | meaning | value |`,
    '| --- | --- | --- | --- | --- |',
    `| \`${schema.fileEnv}\` | | none | a JSON file holding any setting under its key (a dot is a nested object); the environment wins over it | a file path |`,
    ...rows,
  ].join('\n');
}

/** The generated block between `<!-- settings:NAME -->` and `<!-- /settings:NAME -->` markers. */
export function readmeSettingsBlock(readme: string, name: string): string | null {
  const m = new RegExp(`<!-- settings:${name} -->\\n([\\s\\S]*?)\\n<!-- /settings:${name} -->`).exec(readme);
  return m?.[1] ?? null;
}

/** `readme` with the block for `name` replaced by `table`. */
export function withSettingsBlock(readme: string, name: string, table: string): string {
  const re = new RegExp(`<!-- settings:${name} -->[\\s\\S]*?<!-- /settings:${name} -->`);
  if (!re.test(readme)) throw new Error(`README has no <!-- settings:${name} --> block`);
  return readme.replace(re, () => `<!-- settings:${name} -->\n${table}\n<!-- /settings:${name} -->`);
}

export const CONFIG_USAGE = `config [--json]                                           print the effective configuration (secrets redacted)
  config --markdown                                         print the settings table of the README`;

/** `config [--json|--markdown]`: the effective configuration, or the README table. Exit 2 when invalid. */
export function configCommand(schema: ConfigSchema, env: Record<string, string | undefined> = process.env): CliCommand {
  return async (args, io) => {
    const { values } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, markdown: { type: 'boolean' } },
      strict: true,
    });
    if (values.markdown === true) {
      io.stdout(`${settingsTable(schema)}\n`);
      return 0;
    }
    const rows = effectiveConfig(schema, env);
    if (values.json === true) {
      io.stdout(`${JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, { ...r }])), null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...rows.map((r) => (r.env ?? r.file ?? r.key).length));
    for (const r of rows) {
      const name = (r.env ?? r.file ?? r.key).padEnd(width);
      io.stdout(`${name}  ${r.value}${r.source === 'default' ? '' : `  (${r.source})`}\n`);
    }
    return 0;
  };
}
