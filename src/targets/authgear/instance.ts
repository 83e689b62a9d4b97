import { readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AuthmigrateError, isAuthmigrateError } from "../../errors.js";
import type { MigrationUser } from "../../model/user.js";
import { HttpClient } from "../http/client.js";
import { responseBody } from "../http/errors.js";
import type { MirrorIdentifier, MirrorProfilePatch, OrgOutcome, TargetContext, TargetInstance, TargetUserView, UserOutcome, UserWrite } from "../types.js";
import { identifiersOf, toStandardAttributes } from "./mirror.js";
import { AdminTokenSigner, loadPrivateKey } from "./admin-jwt.js";
import type { AuthgearOptions } from "./index.js";
import { identifierValue, splitByBytes, toRecord, type PreparedRecord } from "./records.js";

/** authgear-server `userimport.BodyMaxSize`. */
export const AUTHGEAR_BODY_MAX = 500 * 1000;

interface ApiErrorShape {
  name?: string;
  reason?: string;
  message?: string;
  code?: number;
  info?: { causes?: { location?: string; kind?: string }[] };
}
interface Detail {
  index: number;
  outcome?: "inserted" | "updated" | "skipped" | "failed";
  user_id?: string;
  warnings?: { message?: string }[];
  errors?: ApiErrorShape[];
}
interface JobResponse {
  id: string;
  status: string;
  summary?: Record<string, number>;
  details?: Detail[];
  error?: ApiErrorShape;
}

/** Global node id of a user (Admin API GraphQL): base64url("User:<uuid>"). */
export function userNodeId(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id)) return id; // already a node id
  return Buffer.from(`User:${id}`, "utf8").toString("base64url");
}

export function userIdOf(nodeId: string): string {
  const decoded = Buffer.from(nodeId, "base64url").toString("utf8");
  return decoded.startsWith("User:") ? decoded.slice(5) : nodeId;
}

const LOGIN_ID_KEY = { email: "email", phone_number: "phone", preferred_username: "username" } as const;

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** Machine-readable reason for a failed record: `validation_failed:/password/type enum`, `duplicated_identity:…`. */
export function failureReason(e: ApiErrorShape | undefined): { reason: string; retryable: boolean } {
  if (!e) return { reason: "import_failed", retryable: true };
  const causes = (e.info?.causes ?? []).slice(0, 3).map((c) => `${c.location || "/"} ${c.kind ?? ""}`.trim());
  const detail = causes.length ? causes.join(", ") : (e.message ?? "");
  const code = snake(e.reason || e.name || "import_failed");
  return { reason: `${code}${detail ? `:${detail}` : ""}`.slice(0, 200), retryable: (e.code ?? 0) >= 500 || e.code === 429 };
}

export class AuthgearInstance implements TargetInstance {
  private readonly http: HttpClient;
  private readonly publicHttp: HttpClient;
  private signer: AdminTokenSigner | undefined;
  /** identifier value → user id of users this process inserted (so a re-posted batch still reports them as created). */
  private readonly insertedHere = new Map<string, string>();

  constructor(
    private readonly opts: AuthgearOptions,
    private readonly ctx: TargetContext,
    fetchImpl?: typeof fetch,
  ) {
    const common = { baseUrl: opts.endpoint, timeoutMs: opts.requestTimeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(fetchImpl ? { fetch: fetchImpl } : {}) };
    this.http = new HttpClient({ name: "authgear", ...common, headers: async () => ({ authorization: `Bearer ${await this.getSigner().token()}` }) });
    this.publicHttp = new HttpClient({ name: "authgear", ...common });
  }

  private getSigner(): AdminTokenSigner {
    if (!this.signer) {
      const pem = this.opts.privateKey ?? readFileSync(path.resolve(this.ctx.cwd, this.opts.privateKeyFile!), "utf8");
      this.signer = new AdminTokenSigner(loadPrivateKey(pem), this.opts.keyId, this.opts.appId, this.opts.tokenTtlSec);
    }
    return this.signer;
  }

  async prepare(): Promise<void> {
    try {
      await this.graphql<{ users: { totalCount: number } }>("query { users(first: 1) { totalCount } }");
    } catch (e) {
      if (isAuthmigrateError(e) && (e.meta.status === 401 || e.meta.status === 403)) {
        throw new AuthmigrateError("AUTHGEAR_AUTH", "authgear: the Admin API rejected the JWT", {
          hint: "check appId (the JWT aud: the project id, e.g. myapp for https://myapp.authgear.cloud), keyId and privateKey",
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
    const creates: PreparedRecord[] = [];
    const updates: PreparedRecord[] = [];
    for (const w of batch) {
      const r = await toRecord(w, this.opts.identifier);
      if ("error" in r) {
        outcomes.set(w.user.externalId, { externalId: w.user.externalId, status: "failed", reason: r.error, retryable: false });
        continue;
      }
      const p: PreparedRecord = { write: w, record: r.record, bytes: Buffer.byteLength(JSON.stringify(r.record)), ...(r.note ? { passwordNote: r.note } : {}) };
      // Updates of users we own always upsert (otherwise Authgear skips them); creates follow `upsert`.
      (w.action === "update" ? updates : creates).push(p);
    }
    for (const [items, upsert] of [
      [creates, this.opts.upsert],
      [updates, true],
    ] as const) {
      if (!items.length) continue;
      const envelope = Buffer.byteLength(JSON.stringify({ identifier: this.opts.identifier, upsert, records: [] }));
      const { chunks, tooLarge } = splitByBytes(items, envelope, Math.min(this.opts.maxRequestBytes, AUTHGEAR_BODY_MAX), this.opts.maxRecordsPerRequest);
      for (const p of tooLarge) outcomes.set(p.write.user.externalId, { externalId: p.write.user.externalId, status: "failed", reason: "record_too_large", retryable: false });
      for (const chunk of chunks) {
        for (const o of await this.importChunk(chunk, upsert)) outcomes.set(o.externalId, o);
      }
    }
    return batch.map((w) => outcomes.get(w.user.externalId) ?? { externalId: w.user.externalId, status: "failed", reason: "no_outcome_from_target", retryable: true });
  }

  /** One import job: start, poll until completed, map every record's outcome. */
  private async importChunk(chunk: PreparedRecord[], upsert: boolean): Promise<UserOutcome[]> {
    const body = { identifier: this.opts.identifier, upsert, records: chunk.map((p) => p.record) };
    const started = await this.http.post<{ result?: JobResponse } & JobResponse>("/_api/admin/users/import", body);
    const job = unwrap(started.body);
    const done = job.status === "completed" ? job : await this.poll(job.id);
    const byIndex = new Map((done.details ?? []).map((d) => [d.index, d]));
    return chunk.map((p, i) => this.outcomeOf(p, byIndex.get(i), done));
  }

  private async poll(id: string): Promise<JobResponse> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let delay = this.opts.pollIntervalMs;
    for (;;) {
      await sleep(delay, undefined, this.ctx.signal ? { signal: this.ctx.signal } : undefined);
      try {
        const r = unwrap((await this.http.get<{ result?: JobResponse } & JobResponse>(`/_api/admin/users/import/${encodeURIComponent(id)}`)).body);
        if (r.status === "completed") return r;
        delay = this.opts.pollIntervalMs;
      } catch (e) {
        // The job exists server-side: re-posting it would turn our own inserts into "skipped", so
        // transient poll failures are retried here, honouring Retry-After.
        if (!isAuthmigrateError(e) || !e.retryable) throw e;
        delay = Math.max(this.opts.pollIntervalMs, Number(e.meta.retryAfterMs ?? 0));
      }
      if (Date.now() + delay > deadline) {
        throw new AuthmigrateError("AUTHGEAR_IMPORT_TIMEOUT", `authgear: import ${id} not completed within ${this.opts.timeoutMs} ms`, {
          retryable: true,
          meta: { jobId: id },
          hint: "Authgear processes imports in tasks of 100 records; raise target.timeoutMs for large batches (a retry re-posts the batch: existing users are then skipped)",
        });
      }
    }
  }

  private outcomeOf(p: PreparedRecord, d: Detail | undefined, job: JobResponse): UserOutcome {
    const externalId = p.write.user.externalId;
    const idValue = identifierValue(p.write.user, this.opts.identifier)!;
    const key = `${this.opts.identifier}:${this.opts.identifier === "email" ? idValue.toLowerCase() : idValue}`;
    const note = p.passwordNote ? { reason: p.passwordNote } : {};
    if (!d) {
      const f = failureReason(job.error);
      return { externalId, status: "failed", reason: job.error ? f.reason : "no_outcome_from_target", retryable: true };
    }
    const targetId = d.user_id;
    switch (d.outcome) {
      case "inserted":
        if (targetId) this.insertedHere.set(key, targetId);
        return { externalId, status: "created", ...(targetId ? { targetId } : {}), ...note };
      case "updated":
        if (p.write.action === "update") return { externalId, status: "updated", ...(targetId ? { targetId } : {}), ...note };
        // upsert=true on a user that existed before us: linked (never ours to roll back), profile overwritten.
        return { externalId, status: "skipped", ...(targetId ? { targetId } : {}), reason: `exists_by_${this.opts.identifier}:profile_updated` };
      case "skipped":
        if (targetId && this.insertedHere.get(key) === targetId) return { externalId, status: "created", targetId, ...note };
        return { externalId, status: "skipped", ...(targetId ? { targetId } : {}), reason: `exists_by_${this.opts.identifier}` };
      default: {
        const f = failureReason(d.errors?.[0]);
        return { externalId, status: "failed", reason: f.reason, retryable: f.retryable };
      }
    }
  }

  // ------------------------------------------------------------------ GraphQL

  private async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { data, errors } = await this.graphqlRaw<T>(query, variables);
    if (errors?.length) {
      throw new AuthmigrateError("AUTHGEAR_GRAPHQL", `authgear: GraphQL error: ${String(errors[0]!.message).slice(0, 200)}`, { meta: { errors: errors.length } });
    }
    return data as T;
  }

  private async graphqlRaw<T>(query: string, variables: Record<string, unknown>): Promise<{ data: T | undefined; errors: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] | undefined }> {
    const res = await this.http.post<{ data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] }>("/_api/admin/graphql", { query, variables });
    return { data: res.body?.data, errors: res.body?.errors };
  }

  async lookupUsers(users: MigrationUser[]): Promise<Map<string, { targetId: string; matchedBy: "externalId" | "email" }>> {
    const out = new Map<string, { targetId: string; matchedBy: "externalId" | "email" }>();
    const todo = users.flatMap((u) => {
      const v = identifierValue(u, this.opts.identifier);
      return v ? [{ u, v }] : [];
    });
    for (let i = 0; i < todo.length; i += 50) {
      const part = todo.slice(i, i + 50);
      const defs = part.map((_, j) => `$v${j}: String!`).join(", ");
      const fields = part.map((_, j) => `u${j}: getUserByLoginID(loginIDKey: "${LOGIN_ID_KEY[this.opts.identifier]}", loginIDValue: $v${j}) { id }`).join("\n");
      const data = await this.graphql<Record<string, { id: string } | null>>(`query lookup(${defs}) {\n${fields}\n}`, Object.fromEntries(part.map((p, j) => [`v${j}`, p.v])));
      part.forEach((p, j) => {
        const hit = data[`u${j}`];
        // Authgear has no external id: matches are by the configured identifier (reported as "email").
        if (hit) out.set(p.u.externalId, { targetId: userIdOf(hit.id), matchedBy: "email" });
      });
    }
    return out;
  }

  async getUser(targetId: string): Promise<TargetUserView | undefined> {
    const data = await this.graphql<{ node: { id: string; isDisabled: boolean; standardAttributes: Record<string, unknown>; authenticators: { edges: { node: { type: string; kind: string } }[] } } | null }>(
      `query getUser($id: ID!) { node(id: $id) { ... on User { id isDisabled standardAttributes authenticators { edges { node { type kind } } } } } }`,
      { id: userNodeId(targetId) },
    );
    const n = data.node;
    if (!n) return undefined;
    const sa = n.standardAttributes ?? {};
    return {
      targetId: userIdOf(n.id),
      ...(typeof sa.email === "string" ? { email: sa.email } : {}),
      ...(typeof sa.name === "string" ? { name: sa.name } : {}),
      disabled: n.isDisabled,
      memberships: {},
      hasPassword: n.authenticators.edges.some((e) => e.node.type === "PASSWORD" && e.node.kind === "PRIMARY"),
    };
  }

  // ------------------------------------------------------------------ mirror (authmigrate/mirror, ./mirror.ts)

  /** The user's login IDs (read only: capabilities.mirror mirrors none of them). */
  async getIdentifiers(targetId: string): Promise<MirrorIdentifier[] | undefined> {
    const data = await this.graphql<{ node: { standardAttributes: Record<string, unknown> } | null }>(
      `query ids($id: ID!) { node(id: $id) { ... on User { standardAttributes } } }`,
      { id: userNodeId(targetId) },
    );
    return data.node ? identifiersOf(data.node.standardAttributes ?? {}) : undefined;
  }

  async updateProfile(targetId: string, patch: MirrorProfilePatch): Promise<void> {
    const standardAttributes = toStandardAttributes(patch);
    if (!Object.keys(standardAttributes).length) return;
    await this.graphql(`mutation upd($input: UpdateUserInput!) { updateUser(input: $input) { user { id } } }`, { input: { userID: userNodeId(targetId), standardAttributes } });
  }

  async countUsers(): Promise<number> {
    return (await this.graphql<{ users: { totalCount: number } }>("query { users(first: 1) { totalCount } }")).users.totalCount;
  }

  async deleteUsers(targetIds: string[]): Promise<{ targetId: string; ok: boolean; reason?: string }[]> {
    const out: { targetId: string; ok: boolean; reason?: string }[] = [];
    for (let i = 0; i < targetIds.length; i += 50) {
      const part = targetIds.slice(i, i + 50);
      const defs = part.map((_, j) => `$i${j}: ID!`).join(", ");
      const fields = part.map((_, j) => `d${j}: deleteUser(input: { userID: $i${j} }) { deletedUserID }`).join("\n");
      const { data, errors } = await this.graphqlRaw<Record<string, { deletedUserID: string } | null>>(`mutation del(${defs}) {\n${fields}\n}`, Object.fromEntries(part.map((id, j) => [`i${j}`, userNodeId(id)])));
      part.forEach((targetId, j) => {
        if (data?.[`d${j}`]) return void out.push({ targetId, ok: true });
        const err = errors?.find((e) => e.path?.[0] === `d${j}`) ?? errors?.[0];
        const notFound = err?.extensions?.errorName === "NotFound" || /not found/i.test(err?.message ?? "");
        out.push(notFound ? { targetId, ok: true, reason: "already_deleted" } : { targetId, ok: false, reason: `delete_failed:${String(err?.message ?? "unknown").slice(0, 120)}` });
      });
    }
    return out;
  }

  /** Password login through the Authentication Flow API (`login` flow: identify, then primary_password). */
  async signIn(email: string, password: string): Promise<boolean> {
    type Flow = { result?: { state_token: string; action: { type: string } } };
    try {
      const start = await this.publicHttp.post<Flow>("/api/v1/authentication_flows", { type: "login", name: "default" });
      let state = start.body.result!.state_token;
      const id = await this.publicHttp.post<Flow>("/api/v1/authentication_flows/states/input", { state_token: state, input: { identification: "email", login_id: email } });
      state = id.body.result!.state_token;
      const pw = await this.publicHttp.post<Flow>("/api/v1/authentication_flows/states/input", { state_token: state, input: { authentication: "primary_password", password } });
      return pw.body.result?.action.type === "finished";
    } catch (e) {
      const reason = (responseBody(e) as { error?: { reason?: string } } | undefined)?.error?.reason;
      if (reason && ["InvalidCredentials", "UserNotFound", "NoAuthenticator", "DisabledUser"].includes(reason)) return false;
      throw e;
    }
  }

  async close(): Promise<void> {}
}

function unwrap(body: { result?: JobResponse } & JobResponse): JobResponse {
  // The server wraps results in {"result": …}; the docs print the job bare. Accept both.
  return body.result ?? body;
}
