import type { Dialect } from "../keyset.js";

/**
 * T-SQL for the keyset reader (see keyset.ts):
 * - identifiers in brackets, `]` doubled: `[dbo].[Users]`, `[we]]ird]`;
 * - named parameters `@p1 … @pn` (tedious binds by name);
 * - `SELECT TOP (n)` instead of `LIMIT n`;
 * - no row-value comparison in T-SQL, so the page predicate is the expanded OR-form
 *   `k1 >= @p1 AND ((k1 > @p2) OR (k1 = @p3 AND k2 > @p4))`; the leading `>=` gives the optimizer a
 *   seek range on an index led by k1.
 * No text cast: the cursor is rebound with the key column's own type (params.ts), and tedious keeps
 * datetime2's sub-millisecond digits on the Date it returns, so nothing is lost in a round trip.
 */
export const mssqlDialect: Dialect = {
  name: "mssql",
  quoteIdent: (p) => `[${p.replace(/]/g, "]]")}]`,
  placeholder: (n) => `@p${n}`,
  rowValues: false,
  top: true,
};
