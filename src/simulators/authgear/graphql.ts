/**
 * A deliberately small GraphQL executor for the Authgear Admin API simulator: enough of the
 * language for real client queries (one operation per document, variables, aliases, arguments
 * with literals / lists / objects / `$vars`, nested selection sets, inline fragments
 * `... on User`, `__typename`), none of the type system (no introspection, no named fragments,
 * no directives). Resolvers return plain objects; the executor projects them onto the selection
 * set, so a query asking for a field the simulator does not model gets a GraphQL error instead of
 * silently invented data.
 */

export interface Field {
  alias: string;
  name: string;
  args: Record<string, unknown>;
  selections: Selection[];
}
export interface InlineFragment {
  on: string | undefined;
  selections: Selection[];
}
export type Selection = Field | InlineFragment;

export interface Operation {
  kind: "query" | "mutation";
  name: string | undefined;
  selections: Selection[];
}

export class GraphQLError extends Error {
  constructor(
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Token = { t: "punct" | "name" | "string" | "number" | "var"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/[\s,]/.test(ch)) {
      i++;
    } else if (ch === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (src.startsWith("...", i)) {
      out.push({ t: "punct", v: "..." });
      i += 3;
    } else if ("{}():[]!=@".includes(ch)) {
      out.push({ t: "punct", v: ch });
      i++;
    } else if (ch === "$") {
      const m = /^\$([_A-Za-z][_0-9A-Za-z]*)/.exec(src.slice(i));
      if (!m) throw new GraphQLError(`Syntax Error: unexpected "$" at ${i}`);
      out.push({ t: "var", v: m[1]! });
      i += m[0].length;
    } else if (ch === '"') {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\\") {
          const e = src[j + 1];
          if (e === "u") {
            s += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          s += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new GraphQLError("Syntax Error: unterminated string");
      out.push({ t: "string", v: s });
      i = j + 1;
    } else {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i)) ?? null;
      if (m) {
        out.push({ t: "number", v: m[0] });
        i += m[0].length;
        continue;
      }
      const n = /^[_A-Za-z][_0-9A-Za-z]*/.exec(src.slice(i));
      if (!n) throw new GraphQLError(`Syntax Error: unexpected character "${ch}"`);
      out.push({ t: "name", v: n[0] });
      i += n[0].length;
    }
  }
  return out;
}

/** Parse a document holding one operation (or pick `operationName` among several). */
export function parseOperation(src: string, operationName?: string): Operation {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const next = (): Token => {
    const t = toks[p++];
    if (!t) throw new GraphQLError("Syntax Error: unexpected end of document");
    return t;
  };
  const expect = (v: string): void => {
    const t = next();
    if (t.v !== v || (t.t !== "punct" && t.t !== "name")) throw new GraphQLError(`Syntax Error: expected "${v}", found "${t.v}"`);
  };
  const isPunct = (v: string): boolean => peek()?.t === "punct" && peek()!.v === v;

  const value = (): unknown => {
    const t = next();
    if (t.t === "var") return { $var: t.v };
    if (t.t === "string") return t.v;
    if (t.t === "number") return Number(t.v);
    if (t.t === "name") return t.v === "true" ? true : t.v === "false" ? false : t.v === "null" ? null : { $enum: t.v };
    if (t.v === "[") {
      const list: unknown[] = [];
      while (!isPunct("]")) list.push(value());
      next();
      return list;
    }
    if (t.v === "{") {
      const obj: Record<string, unknown> = {};
      while (!isPunct("}")) {
        const k = next().v;
        expect(":");
        obj[k] = value();
      }
      next();
      return obj;
    }
    throw new GraphQLError(`Syntax Error: unexpected "${t.v}"`);
  };

  const skipType = (): void => {
    if (isPunct("[")) {
      next();
      skipType();
      expect("]");
    } else next();
    if (isPunct("!")) next();
  };

  const selectionSet = (): Selection[] => {
    expect("{");
    const out: Selection[] = [];
    while (!isPunct("}")) {
      if (isPunct("...")) {
        next();
        let on: string | undefined;
        if (peek()?.t === "name" && peek()!.v === "on") {
          next();
          on = next().v;
        } else if (!isPunct("{")) throw new GraphQLError("named fragments are not supported by the simulator");
        out.push({ on, selections: selectionSet() });
        continue;
      }
      const first = next();
      if (first.t !== "name") throw new GraphQLError(`Syntax Error: unexpected "${first.v}"`);
      const alias = first.v;
      let name = first.v;
      if (isPunct(":")) {
        next();
        name = next().v;
      }
      const args: Record<string, unknown> = {};
      if (isPunct("(")) {
        next();
        while (!isPunct(")")) {
          const k = next().v;
          expect(":");
          args[k] = value();
        }
        next();
      }
      if (isPunct("@")) throw new GraphQLError("directives are not supported by the simulator");
      out.push({ alias, name, args, selections: isPunct("{") ? selectionSet() : [] });
    }
    next();
    return out;
  };

  const ops: Operation[] = [];
  while (p < toks.length) {
    if (isPunct("{")) {
      ops.push({ kind: "query", name: undefined, selections: selectionSet() });
      continue;
    }
    const kw = next().v;
    if (kw === "fragment") throw new GraphQLError("named fragments are not supported by the simulator");
    if (kw !== "query" && kw !== "mutation") throw new GraphQLError(`Syntax Error: unexpected "${kw}"`);
    let name: string | undefined;
    if (peek()?.t === "name") name = next().v;
    if (isPunct("(")) {
      next();
      while (!isPunct(")")) {
        if (next().t !== "var") throw new GraphQLError("Syntax Error: expected a variable definition");
        expect(":");
        skipType();
        if (isPunct("=")) {
          next();
          value();
        }
      }
      next();
    }
    ops.push({ kind: kw, name, selections: selectionSet() });
  }
  if (ops.length === 0) throw new GraphQLError("Syntax Error: no operation in document");
  if (operationName !== undefined) {
    const op = ops.find((o) => o.name === operationName);
    if (!op) throw new GraphQLError(`Unknown operation named "${operationName}".`);
    return op;
  }
  if (ops.length > 1) throw new GraphQLError("Must provide operation name if query contains multiple operations.");
  return ops[0]!;
}

/** Substitute `$var` references with the request's variables. */
export function resolveArgs(args: unknown, vars: Record<string, unknown>): unknown {
  if (Array.isArray(args)) return args.map((a) => resolveArgs(a, vars));
  if (args && typeof args === "object") {
    const o = args as Record<string, unknown>;
    if ("$var" in o) return vars[o.$var as string] ?? null;
    if ("$enum" in o) return o.$enum;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveArgs(v, vars)]));
  }
  return args;
}

/** A value that resolves its own fields: plain data, or a function of the field's arguments. */
export type Resolved = unknown;

/**
 * Project `value` onto `selections`. Objects may carry `__typename` (used by inline fragments);
 * fields may be functions `(args) => value` (connections, arguments).
 */
export function project(value: unknown, selections: Selection[], vars: Record<string, unknown>, path: string): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v, i) => project(v, selections, vars, `${path}.${i}`));
  if (selections.length === 0) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const apply = (sels: Selection[]): void => {
    for (const s of sels) {
      if (!("name" in s)) {
        if (s.on === undefined || s.on === obj.__typename || (s.on === "Node" && obj.__typename)) apply(s.selections);
        continue;
      }
      if (s.name === "__typename") {
        out[s.alias] = obj.__typename ?? null;
        continue;
      }
      if (!(s.name in obj)) {
        throw new GraphQLError(`Cannot query field "${s.name}" on type "${String(obj.__typename ?? "Object")}" (not simulated).`, { path: `${path}.${s.alias}` });
      }
      let v = obj[s.name];
      if (typeof v === "function") v = (v as (a: Record<string, unknown>) => unknown)(resolveArgs(s.args, vars) as Record<string, unknown>);
      out[s.alias] = project(v, s.selections, vars, `${path}.${s.alias}`);
    }
  };
  apply(selections);
  return out;
}
