/**
 * A minimal reader for PHP's serialize() format, enough for WordPress's `wp_capabilities`
 * (`a:1:{s:13:"administrator";b:1;}`). String lengths are UTF-8 *byte* counts, so we walk bytes.
 * Objects (`O:`) are refused: capabilities never contain them, and we never instantiate anything.
 */
export type PhpValue = string | number | boolean | null | Map<string | number, PhpValue>;

export function unserializePhp(text: string): PhpValue {
  const buf = Buffer.from(text, "utf8");
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`not a PHP serialized value (${why} at byte ${pos})`);
  };
  const readUntil = (ch: string): string => {
    const end = buf.indexOf(ch, pos, "utf8");
    if (end < 0) fail(`missing "${ch}"`);
    const s = buf.subarray(pos, end).toString("utf8");
    pos = end + 1;
    return s;
  };
  const expect = (ch: string): void => {
    if (String.fromCharCode(buf[pos]!) !== ch) fail(`expected "${ch}"`);
    pos++;
  };
  const value = (): PhpValue => {
    const type = String.fromCharCode(buf[pos] ?? 0);
    pos++;
    if (type === "N") {
      expect(";");
      return null;
    }
    expect(":");
    switch (type) {
      case "b":
        return readUntil(";") === "1";
      case "i":
      case "d": {
        const n = Number(readUntil(";"));
        if (Number.isNaN(n)) fail("bad number");
        return n;
      }
      case "s": {
        const len = Number(readUntil(":"));
        if (!Number.isSafeInteger(len) || len < 0) fail("bad string length");
        expect('"');
        const s = buf.subarray(pos, pos + len).toString("utf8");
        pos += len;
        expect('"');
        expect(";");
        return s;
      }
      case "a": {
        const n = Number(readUntil(":"));
        if (!Number.isSafeInteger(n) || n < 0) fail("bad array length");
        expect("{");
        const map = new Map<string | number, PhpValue>();
        for (let i = 0; i < n; i++) {
          const k = value();
          if (typeof k !== "string" && typeof k !== "number") fail("bad array key");
          map.set(k as string | number, value());
        }
        expect("}");
        return map;
      }
      default:
        return fail(`unsupported type "${type}"`);
    }
  };
  const out = value();
  if (pos !== buf.length) fail("trailing data");
  return out;
}

/** Keys of a serialized PHP array whose value is truthy: WordPress role names the user holds. */
export function truthyKeys(text: string): string[] {
  const v = unserializePhp(text);
  if (!(v instanceof Map)) throw new Error("not a PHP serialized array");
  const keys: string[] = [];
  for (const [k, val] of v) if (val !== false && val !== null && val !== 0 && val !== "" && val !== "0") keys.push(String(k));
  return keys;
}
