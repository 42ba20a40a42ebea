import test from 'ava';
import { readFileSync } from 'node:fs';
import { GENERATED_PATH, generateTypes } from './gen-types.ts';

test('types.generated.ts is exactly what the generator produces from the .proto files', (t) => {
  const committed = readFileSync(GENERATED_PATH, 'utf8');
  t.true(committed === generateTypes(), 'stale: run `npm run proto:gen` and commit proto/types.generated.ts');
});

test('the generated types use the canonical plain-object mapping', (t) => {
  const text = generateTypes();
  // required scalar, optional message, repeated, map, bytes, enum union, nested namespace
  t.regex(text, /export interface FrameworkInfo \{\n {4}user: string;\n {4}name: string;\n {4}id\?: mesos\.v1\.FrameworkID;/);
  t.regex(text, /roles\?: string\[\];/);
  t.regex(text, /offer_filters\?: \{ \[key: string\]: mesos\.v1\.OfferFilters \};/);
  t.regex(text, /uuid\?: string; \/\/ base64/);
  t.regex(text, /export type TaskState =\n {4}\| 'TASK_STAGING'/);
  t.regex(text, /export namespace mesos\.v1\.scheduler \{/);
  t.regex(text, /'maestro\.agent\.Envelope': maestro\.agent\.Envelope;/);
});
