/**
 * Test support: the JSON field names python-marathon (the Debian package python3-marathon 0.13)
 * accepts per model class, read from its installed source. The client builds its models with
 * `cls(**{to_snake_case(k): v})`, so a response field whose snake_case name is not an `__init__`
 * parameter makes it raise; classes with `**kwargs` accept anything (`open`).
 *
 * Only tests use this module (it reads files); the core never imports it.
 */
import { readFileSync } from 'node:fs';

export const PYTHON_MARATHON_MODELS = '/usr/lib/python3/dist-packages/marathon/models';

export interface PythonModel {
  readonly params: ReadonlySet<string>;
  readonly open: boolean;
}

/** marathon/util.py `to_snake_case`, the same two substitutions. */
export function toSnakeCase(camel: string): string {
  const s1 = camel.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s1.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The `__init__` parameters of class `name` in models/`file`. */
export function pythonModel(file: string, name: string): PythonModel {
  const src = readFileSync(`${PYTHON_MARATHON_MODELS}/${file}`, 'utf8');
  const start = src.indexOf(`class ${name}(`);
  if (start < 0) throw new Error(`no class ${name} in ${file}`);
  const init = /def __init__\(self,?([^)]*)\):/.exec(src.slice(start));
  if (init === null) throw new Error(`no __init__ in ${name}`);
  const parts = init[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  const open = parts.some((s) => s.startsWith('**'));
  const params = new Set(parts.filter((s) => !s.startsWith('*')).map((s) => s.split('=')[0].trim()));
  return { params, open };
}

/** Keys of `json` whose snake_case name the model does not accept. */
export function unknownKeys(model: PythonModel, json: Readonly<Record<string, unknown>>): string[] {
  if (model.open) return [];
  return Object.keys(json).filter((k) => !model.params.has(toSnakeCase(k)));
}
