import { Kind, type GraphQLResolveInfo } from 'graphql';

/**
 * The names of the fields a query asks of a resolver's result (of each list item for a list),
 * or null when it cannot tell without the schema (a fragment): then take every field. Lets a
 * resolver leave out work whose answer nobody reads, such as distinct counts of visitors for
 * a panel that shows only event counts.
 */
export function selectedFields(info: Pick<GraphQLResolveInfo, 'fieldNodes'>): Set<string> | null {
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    for (const selection of node.selectionSet?.selections ?? []) {
      if (selection.kind !== Kind.FIELD) return null;
      names.add(selection.name.value);
    }
  }
  return names;
}
