import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";

/** Context variable holding the request body read by `rawBodyLimit`. */
export type RawBodyVariables = { rawBody: string };

/**
 * Reads the body once, up to `maxBytes` (413 above), and keeps it for the handlers (`rawBody(c)`).
 * Under `serve` it is read straight from Node's IncomingMessage: hono's bodyLimit builds a WHATWG
 * Request plus a counting ReadableStream for every call, which was the largest single cost of a
 * hook request. Without Node bindings (`app.request` in tests) the Request's body is used.
 */
export function rawBodyLimit(maxBytes: number, tooLarge: (c: Context) => Response): MiddlewareHandler<{ Bindings: { incoming?: IncomingMessage }; Variables: RawBodyVariables }> {
  return async (c, next) => {
    const declared = Number(c.req.header("content-length"));
    if (declared > maxBytes) return tooLarge(c);
    const incoming = c.env?.incoming;
    const text = incoming ? await readLimited(incoming, maxBytes) : await readRequest(c.req.raw, maxBytes);
    if (text === undefined) return tooLarge(c);
    c.set("rawBody", text);
    await next();
  };
}

export function rawBody(c: Context): string {
  return (c.get("rawBody") as string | undefined) ?? "";
}

/**
 * undefined = over the limit: answered at once (413) while the rest is discarded unread — Node's
 * requestTimeout bounds a sender that never stops.
 */
function readLimited(incoming: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      incoming.off("data", onData);
      incoming.resume();
      chunks.length = 0;
      resolve(undefined);
    };
    incoming.on("data", onData);
    incoming.once("end", () => resolve(Buffer.concat(chunks, size).toString("utf8")));
    incoming.once("error", reject);
  });
}

async function readRequest(req: Request, maxBytes: number): Promise<string | undefined> {
  const buf = Buffer.from(await req.arrayBuffer());
  return buf.length > maxBytes ? undefined : buf.toString("utf8");
}
