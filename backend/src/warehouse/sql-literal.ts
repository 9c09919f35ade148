/**
 * A SQL string literal of `text`, for what a query parameter cannot carry: the paths and
 * structures of `file()` table functions (archive and export directories are the operator's,
 * but still quoted).
 */
export const sqlLiteral = (text: string): string =>
  `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
