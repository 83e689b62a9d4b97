import http from "node:http";
/**
 * Open-loop load for the serve benches: request k is sent at start + k/rate whether or not earlier
 * ones have answered, and its latency counts from that due time, so a slow server shows up as
 * latency, not as a lower offered rate.
 */
export interface OpenLoopResult {
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** Non-2xx statuses and network error codes → count. */
  errorKinds: Record<string, number>;
  achieved: number;
  /** Process CPU (all threads) per request, ms: comparable even on a busy machine, where latency is not. */
  cpuMs: number;
}

/** What `send` resolves to: a fetch Response, or the lighter `httpClient` answer below. */
export interface Answer {
  status: number;
  arrayBuffer(): Promise<unknown>;
}

/**
 * A keep-alive node:http client for the generator: about a third of fetch's CPU per request, so
 * the generator's own pauses stay out of the measured tail on a 2-core machine.
 */
export function httpClient(base: string): (method: string, path: string, headers?: Record<string, string>, body?: string) => Promise<Answer> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const { hostname, port } = new URL(base);
  return (method, path, headers = {}, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ agent, hostname, port, method, path, headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, arrayBuffer: async () => buf });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function openLoop(rate: number, seconds: number, send: (k: number) => Promise<Answer>): Promise<OpenLoopResult> {
  const total = rate * seconds;
  const cpu0 = process.cpuUsage();
  const lat: number[] = [];
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  const fail = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Sent up to 1 ms early (timer granularity): count from the real send then, not from a due
    // time still ahead; sent late: count from the due time, so lateness is not hidden.
    const from = Math.min(due, performance.now());
    inflight.push(
      send(k).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) fail(String(res.status));
          lat.push(performance.now() - from);
        },
        (e: Error) => fail((e.cause as { code?: string } | undefined)?.code ?? e.name),
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? NaN, errors, errorKinds, achieved: total / elapsed, cpuMs: (cpu.user + cpu.system) / 1000 / total };
}
