import { setTimeout as sleep } from "node:timers/promises";
import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";
import type { MigrationUser } from "../../model/user.js";
import { HttpClient, type RequestOptions } from "../http/client.js";
import { responseBody } from "../http/errors.js";
import type { OrgOutcome, TargetContext, TargetInstance, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import type { Auth0Options } from "./index.js";
import { AUTH0_FILE_MAX, auth0UserId, roundsByEmail, splitByBytes, toImportUser, type PreparedUser, type RecordOptions } from "./records.js";
import { mapLimit } from "../../util/map-limit.js";
import { retryRead } from "../../engine/retry.js";

export interface Auth0Job {
  id: string;
  status: "pending" | "processing" | "completed" | "failed" | string;
  connection_id?: string;
  external_id?: string;
  summary?: { total?: number; inserted?: number; updated?: number; failed?: number };
}

export interface Auth0JobError {
  user?: { email?: string; user_id?: string } & Record<string, unknown>;
  errors?: { code?: string; message?: string; path?: string }[];
}

export interface Auth0User {
  user_id: string;
  email?: string;
  name?: string;
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  identities?: { connection?: string; provider?: string; user_id?: string; isSocial?: boolean }[];
}

/** Error codes of `/errors` that mean "this user already exists (by email)". */
const EXISTS_CODES = new Set(["DUPLICATED_USER", "CONFLICT_EMAIL"]);


/** A counting semaphore: at most `n` import jobs of this instance in flight (Auth0 allows 2 per tenant). */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class Auth0Instance implements TargetInstance {
  readonly http: HttpClient;
  private readonly authHttp: HttpClient;
  private token: { value: string; expiresAt: number } | undefined;
  private tokenPending: Promise<string> | undefined;
  private readonly jobs: Semaphore;
  private readonly recordOpts: RecordOptions;
  /** Most jobs this instance had in flight at once (tests). */
  maxJobsInFlight = 0;
  private jobsInFlight = 0;

  constructor(
    private readonly opts: Auth0Options,
    private readonly ctx: TargetContext,
    fetchImpl?: typeof fetch,
  ) {
    const common = { baseUrl: opts.baseUrl, timeoutMs: opts.requestTimeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(fetchImpl ? { fetch: fetchImpl } : {}) };
    this.http = new HttpClient({ name: "auth0", ...common, headers: async () => ({ authorization: `Bearer ${await this.accessToken()}` }), ...(ctx.limiter ? { limiter: ctx.limiter } : {}) });
    // The Authentication API (/oauth/token) has its own limits: not paced by the Management API limiter.
    this.authHttp = new HttpClient({ name: "auth0", ...common });
    this.jobs = new Semaphore(opts.maxConcurrentJobs);
    this.recordOpts = { setUserId: opts.setUserId, externalIdKey: opts.externalIdKey, sendUsername: opts.sendUsername };
  }

  // ------------------------------------------------------------------ auth

  /** Management API token (client credentials), cached until a minute before it expires. */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    this.tokenPending ??= (async () => {
      try {
        const res = await this.authHttp.post<{ access_token: string; expires_in?: number }>("/oauth/token", {
          grant_type: "client_credentials",
          client_id: this.opts.clientId,
          client_secret: this.opts.clientSecret,
          audience: this.opts.audience,
        });
        const ttlMs = (res.body.expires_in ?? 86_400) * 1000;
        this.token = { value: res.body.access_token, expiresAt: Date.now() + Math.max(ttlMs / 2, ttlMs - 60_000) };
        return res.body.access_token;
      } catch (e) {
        if (isAuthmigrateError(e) && (e.meta.status === 401 || e.meta.status === 403)) {
          throw new AuthmigrateError("AUTH0_AUTH", `auth0: the client-credentials grant was refused (${String(e.meta.status)} ${String(e.meta.providerCode ?? "")})`.trim(), {
            hint: "check target.clientId / clientSecret, that the application is authorized for the Management API (audience), and its scopes (read:users, create:users, delete:users)",
            meta: { status: e.meta.status },
          });
        }
        throw e;
      } finally {
        this.tokenPending = undefined;
      }
    })();
    return this.tokenPending;
  }

  /** A Management API request; a 401 (expired/revoked token) fetches a new token and retries once. */
  private async api<T>(method: string, path: string, ro: RequestOptions = {}): Promise<T> {
    try {
      return (await this.http.request<T>(method, path, ro)).body;
    } catch (e) {
      if (!isAuthmigrateError(e) || e.meta.status !== 401) throw e;
      this.token = undefined;
      return (await this.http.request<T>(method, path, ro)).body;
    }
  }

  async prepare(): Promise<void> {
    await this.accessToken();
    try {
      await this.api("GET", "/api/v2/users", { query: { per_page: 1, page: 0, include_totals: true, search_engine: "v3" } });
    } catch (e) {
      if (isAuthmigrateError(e) && (e.meta.status === 401 || e.meta.status === 403)) {
        throw new AuthmigrateError("AUTH0_AUTH", "auth0: the Management API refused the token", {
          hint: "grant the application read:users, create:users and delete:users on the Auth0 Management API",
          meta: { status: e.meta.status },
        });
      }
      throw e;
    }
  }

  async upsertOrgs(orgs: Parameters<TargetInstance["upsertOrgs"]>[0]): Promise<OrgOutcome[]> {
    return orgs.map((o) => ({ externalId: o.externalId, status: "failed", reason: "orgs_not_supported" }));
  }

  // ------------------------------------------------------------------ import

  async writeUsers(batch: UserWrite[]): Promise<UserOutcome[]> {
    const outcomes = new Map<string, UserOutcome>();
    const creates: PreparedUser[] = [];
    const updates: PreparedUser[] = [];
    for (const w of batch) {
      const r = await toImportUser(w, this.recordOpts);
      if ("error" in r) {
        outcomes.set(w.user.externalId, { externalId: w.user.externalId, status: "failed", reason: r.error, retryable: false });
        continue;
      }
      const p: PreparedUser = { write: w, record: r.record, bytes: Buffer.byteLength(JSON.stringify(r.record)), email: w.user.email!.toLowerCase(), ...(r.note ? { passwordNote: r.note } : {}) };
      (w.action === "update" ? updates : creates).push(p);
    }
    // Rounds run one after the other (a later round repeats an email of an earlier one, which Auth0
    // rejects inside one file); the files of one round run in parallel, at most maxConcurrentJobs.
    for (const [items, upsert] of [
      [creates, this.opts.upsert],
      [updates, true],
    ] as const) {
      for (const round of roundsByEmail(items)) {
        const { chunks, tooLarge } = splitByBytes(round, Math.min(this.opts.maxBatchBytes, AUTH0_FILE_MAX));
        for (const p of tooLarge) outcomes.set(p.write.user.externalId, { externalId: p.write.user.externalId, status: "failed", reason: "record_too_large", retryable: false });
        const results = await Promise.all(chunks.map((users) => this.jobs.run(() => this.importFile(users, upsert))));
        for (const list of results) for (const o of list) outcomes.set(o.externalId, o);
      }
    }
    return batch.map((w) => outcomes.get(w.user.externalId) ?? { externalId: w.user.externalId, status: "failed", reason: "no_outcome_from_target", retryable: true });
  }

  /** One import job: post the file, poll until done, read `/errors`, one outcome per user. */
  private async importFile(users: PreparedUser[], upsert: boolean): Promise<UserOutcome[]> {
    this.jobsInFlight++;
    this.maxJobsInFlight = Math.max(this.maxJobsInFlight, this.jobsInFlight);
    try {
      const job = await this.startJob(users, upsert);
      const done = await this.poll(job.id);
      const rows = (done.summary?.failed ?? 1) > 0 || done.status === "failed" ? await this.jobErrors(done.id) : [];
      const byEmail = new Map<string, Auth0JobError>();
      for (const row of rows) {
        const e = typeof row.user?.email === "string" ? row.user.email.toLowerCase() : undefined;
        if (e && !byEmail.has(e)) byEmail.set(e, row);
      }
      return await mapLimit(users, 4, (p) => this.outcomeOf(p, byEmail.get(p.email), done, upsert));
    } finally {
      this.jobsInFlight--;
    }
  }

  private async startJob(users: PreparedUser[], upsert: boolean): Promise<Auth0Job> {
    const deadline = Date.now() + this.opts.timeoutMs;
    const file = `[${users.map((u) => JSON.stringify(u.record)).join(",")}]`;
    for (;;) {
      const form = new FormData();
      form.append("users", new Blob([file], { type: "application/json" }), "users.json");
      form.append("connection_id", this.opts.connectionId);
      form.append("upsert", String(upsert));
      form.append("send_completion_email", String(this.opts.sendCompletionEmail));
      if (this.opts.jobExternalId) form.append("external_id", this.opts.jobExternalId);
      try {
        return await this.api<Auth0Job>("POST", "/api/v2/jobs/users-imports", { body: form });
      } catch (e) {
        // A 429 for a third concurrent job (another process importing into the tenant) created
        // nothing: wait for a slot and re-post. Other 429s (rate limit) go to the engine's retry.
        if (!isAuthmigrateError(e) || e.meta.status !== 429 || !/\bjobs?\b/i.test(String(e.meta.providerMessage ?? ""))) throw e;
        const delay = Math.max(this.opts.pollIntervalMs, Number(e.meta.retryAfterMs ?? 0));
        if (Date.now() + delay > deadline) throw e;
        await sleep(delay, undefined, this.ctx.signal ? { signal: this.ctx.signal } : undefined);
      }
    }
  }

  private async poll(id: string): Promise<Auth0Job> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let delay = this.opts.pollIntervalMs;
    for (;;) {
      await sleep(delay, undefined, this.ctx.signal ? { signal: this.ctx.signal } : undefined);
      try {
        const job = await this.api<Auth0Job>("GET", `/api/v2/jobs/${encodeURIComponent(id)}`);
        if (job.status === "completed" || job.status === "failed") return job;
        delay = this.opts.pollIntervalMs;
      } catch (e) {
        // The job exists server-side: re-posting would turn our own inserts into DUPLICATED_USER, so
        // transient poll failures are waited out here.
        if (!isAuthmigrateError(e) || !e.retryable) throw e;
        delay = Math.max(this.opts.pollIntervalMs, Number(e.meta.retryAfterMs ?? 0));
      }
      if (Date.now() + delay > deadline) {
        throw new AuthmigrateError("AUTH0_IMPORT_TIMEOUT", `auth0: import job ${id} not completed within ${this.opts.timeoutMs} ms`, {
          retryable: true,
          meta: { jobId: id },
          hint: "raise target.timeoutMs (Auth0 jobs may queue for minutes); a retry re-posts the users: those the job created are recognised by their user_id and external id",
        });
      }
    }
  }

  private async jobErrors(id: string): Promise<Auth0JobError[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const body = await this.api<Auth0JobError[] | undefined>("GET", `/api/v2/jobs/${encodeURIComponent(id)}/errors`);
        return Array.isArray(body) ? body : [];
      } catch (e) {
        if (!isAuthmigrateError(e) || !e.retryable || attempt >= 5) throw e;
        await sleep(Math.max(this.opts.pollIntervalMs, Number(e.meta.retryAfterMs ?? 0)), undefined, this.ctx.signal ? { signal: this.ctx.signal } : undefined);
      }
    }
  }

  private ourId(u: MigrationUser): string | undefined {
    const id = auth0UserId(u.externalId, this.recordOpts);
    return id ? `auth0|${id}` : undefined;
  }

  /** Written by authmigrate for this legacy user: our deterministic user_id and the external id in app_metadata. */
  private isOurs(found: Auth0User, u: MigrationUser): boolean {
    const id = this.ourId(u);
    return !!id && found.user_id === id && found.app_metadata?.[this.opts.externalIdKey] === u.externalId;
  }

  private async outcomeOf(p: PreparedUser, row: Auth0JobError | undefined, job: Auth0Job, upsert: boolean): Promise<UserOutcome> {
    const w = p.write;
    const externalId = w.user.externalId;
    const note = p.passwordNote ? { reason: p.passwordNote } : {};
    if (row) {
      const codes = (row.errors ?? []).map((e) => e.code ?? "");
      if (codes.some((c) => EXISTS_CODES.has(c))) {
        const found = await this.findByEmail(p.email);
        if (!found) return { externalId, status: "failed", reason: "duplicated_user_not_found", retryable: true };
        // Our own user from an earlier attempt whose answer was lost (timeout, crash): still ours.
        if (this.isOurs(found, w.user)) return { externalId, status: "created", targetId: found.user_id, reason: p.passwordNote ?? "already_imported" };
        return { externalId, status: "skipped", targetId: found.user_id, reason: "exists_by_email" };
      }
      const first = row.errors?.[0];
      const reason = `${(first?.code ?? "import_error").toLowerCase()}${first?.path ? `:${first.path}` : ""}${first?.message ? `: ${first.message}` : ""}`.slice(0, 200);
      // Schema / conflict errors: sending the same user again gives the same answer.
      return { externalId, status: "failed", reason, retryable: false };
    }
    if (job.status === "failed") return { externalId, status: "failed", reason: "import_job_failed", retryable: true };
    if (w.action === "update") return { externalId, status: "updated", ...(w.targetId ? { targetId: w.targetId } : {}), ...note };
    const ours = this.ourId(w.user);
    if (!upsert && ours) return { externalId, status: "created", targetId: ours, ...note };
    // upsert (or no user_id sent): the job does not say whether this user was inserted or updated.
    const found = await this.findByEmail(p.email);
    if (!found) return { externalId, status: "failed", reason: "imported_user_not_found", retryable: true };
    if (!upsert || this.isOurs(found, w.user)) return { externalId, status: "created", targetId: found.user_id, ...note };
    return { externalId, status: "skipped", targetId: found.user_id, reason: "exists_by_email:profile_updated" };
  }

  // ------------------------------------------------------------------ reads

  /** The user with this email in our connection (database users), if any. */
  private async findByEmail(email: string): Promise<Auth0User | undefined> {
    const list = await this.api<Auth0User[]>("GET", "/api/v2/users-by-email", { query: { email } });
    const inConnection = (u: Auth0User) => (u.identities ?? []).some((i) => i.provider === "auth0" && (!this.opts.connection || i.connection === this.opts.connection));
    return list.find(inConnection);
  }

  /** One read request, retried on its own (429, 5xx, timeouts): see READ_RETRY. */
  private read<T>(fn: () => Promise<T>): Promise<T> {
    return retryRead(fn, this.ctx.signal);
  }

  async lookupUsers(users: MigrationUser[]): Promise<Map<string, { targetId: string; matchedBy: "externalId" | "email" }>> {
    const out = new Map<string, { targetId: string; matchedBy: "externalId" | "email" }>();
    await mapLimit(users, 4, async (u) => {
      if (u.email) {
        const found = await this.read(() => this.findByEmail(u.email!.toLowerCase()));
        if (found) {
          out.set(u.externalId, { targetId: found.user_id, matchedBy: found.app_metadata?.[this.opts.externalIdKey] === u.externalId ? "externalId" : "email" });
          return;
        }
      }
      const id = this.ourId(u);
      if (id) {
        const view = await this.read(() => this.rawUser(id));
        if (view && view.app_metadata?.[this.opts.externalIdKey] === u.externalId) out.set(u.externalId, { targetId: id, matchedBy: "externalId" });
      }
    });
    return out;
  }

  private async rawUser(targetId: string): Promise<Auth0User | undefined> {
    try {
      return await this.api<Auth0User>("GET", `/api/v2/users/${encodeURIComponent(targetId)}`);
    } catch (e) {
      if (isAuthmigrateError(e) && e.meta.status === 404) return undefined;
      throw e;
    }
  }

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    const u = await this.rawUser(targetId);
    if (!u) return undefined;
    const ext = u.app_metadata?.[this.opts.externalIdKey];
    return {
      targetId: u.user_id,
      ...(typeof ext === "string" ? { externalId: ext } : {}),
      ...(u.email ? { email: u.email } : {}),
      ...(u.name ? { name: u.name } : {}),
      disabled: u.blocked === true,
      memberships: {},
      // Auth0 never says whether a password is set; a database-connection identity can hold one
      // (prove it with `verify --sign-in`).
      hasPassword: (u.identities ?? []).some((i) => i.provider === "auth0"),
    };
  }

  async countUsers(): Promise<number> {
    const q = this.opts.connection ? `identities.connection:"${this.opts.connection.replace(/"/g, '\\"')}"` : undefined;
    const body = await this.api<{ total: number }>("GET", "/api/v2/users", { query: { per_page: 1, page: 0, include_totals: true, search_engine: "v3", ...(q ? { q } : {}) } });
    return body.total;
  }

  async deleteUsers(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]> {
    return mapLimit(targetIds, 4, async (targetId) => {
      try {
        await this.api("DELETE", `/api/v2/users/${encodeURIComponent(targetId)}`);
        return { targetId, ok: true };
      } catch (e) {
        if (isAuthmigrateError(e) && e.meta.status === 404) return { targetId, ok: true, reason: "already_deleted" };
        return { targetId, ok: false, reason: `delete_failed:${isAuthmigrateError(e) ? String(e.meta.status ?? e.code) : "error"}` };
      }
    });
  }

  /** Resource-owner password grant against the database connection (the application needs the Password grant). */
  async signIn(email: string, password: string): Promise<boolean> {
    try {
      await this.authHttp.post("/oauth/token", {
        grant_type: "http://auth0.com/oauth/grant-type/password-realm",
        realm: this.opts.connection ?? "Username-Password-Authentication",
        username: email,
        password,
        client_id: this.opts.clientId,
        client_secret: this.opts.clientSecret,
        scope: "openid",
      });
      return true;
    } catch (e) {
      const code = (responseBody(e) as { error?: string } | undefined)?.error;
      if (code === "invalid_grant" || (code === "unauthorized" && isAuthmigrateError(e) && e.meta.status === 401)) return false;
      throw e;
    }
  }

  async close(): Promise<void> {}
}
