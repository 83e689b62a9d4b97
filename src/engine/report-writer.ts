import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { Issue } from "../mapping/issues.js";

/** One line of report.jsonl. Deliberately has no credential, hash or password field. */
export interface ReportLine {
  location: string;
  externalId?: string;
  email?: string;
  action: string;
  status: string;
  targetId?: string;
  reason?: string;
  strategy?: string;
  strategyReason?: string;
  warnings?: string[];
}

function csvCell(v: string | undefined): string {
  const s = v ?? "";
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * report.jsonl: every user's outcome. retry.csv: the failures, enough to find and fix each row
 * (location, id, email, reason, whether retrying may help).
 */
export class ReportWriter {
  private readonly report: WriteStream;
  private readonly retry: WriteStream;
  readonly reportFile: string;
  readonly retryFile: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.reportFile = path.join(dir, "report.jsonl");
    this.retryFile = path.join(dir, "retry.csv");
    this.report = createWriteStream(this.reportFile, { flags: "w", mode: 0o600 });
    this.retry = createWriteStream(this.retryFile, { flags: "w", mode: 0o600 });
    this.retry.write("location,externalId,email,reason,retryable\n");
  }

  private reportBuf = "";
  private retryBuf = "";

  /** Buffered: call `flush()` once per batch so the streams see few large writes. */
  write(line: ReportLine, retryable = false): void {
    this.reportBuf += JSON.stringify(line) + "\n";
    if (line.status === "failed") {
      this.retryBuf += [line.location, line.externalId, line.email, line.reason, String(retryable)].map(csvCell).join(",") + "\n";
    }
  }

  /** Hand buffered lines to the files, waiting while the OS is behind (bounded memory). */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [stream, buf] of [[this.report, this.reportBuf], [this.retry, this.retryBuf]] as const) {
      if (buf && !stream.write(buf)) pending.push(new Promise((resolve) => stream.once("drain", resolve)));
    }
    this.reportBuf = "";
    this.retryBuf = "";
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([this.report, this.retry].map((s) => new Promise<void>((resolve) => s.end(resolve))));
  }
}

export const warningTexts = (issues: readonly Issue[]): string[] | undefined =>
  issues.length ? issues.map((i) => `${i.code}: ${i.message}`) : undefined;
