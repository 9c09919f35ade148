import { readFileSync } from 'node:fs';
import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { typeDefs } from '../src/api/graphql/type-defs';

describe('the GraphQL README', () => {
  it('shows the schema the server serves', () => {
    const readme = readFileSync(new URL('../src/api/graphql/README.md', import.meta.url), 'utf8');
    const documented = /```graphql\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(documented).toBeDefined();
    expect(printSchema(buildSchema(documented!))).toBe(printSchema(buildSchema(typeDefs)));
  });
});
