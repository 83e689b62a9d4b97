/**
 * The SELECT the supabase source pages through. Built from the columns this database actually has:
 * GoTrue's schema changed over the years (identities.provider_id since 2023, is_anonymous since
 * 2024, mfa_factors since 2022). Token columns (confirmation_token, recovery_token…) are never read.
 */
export interface AuthSchema {
  users: Set<string>;
  identities: Set<string>;
  hasMfa: boolean;
}

const USER_COLUMNS = [
  "id",
  "email",
  "encrypted_password",
  "email_confirmed_at",
  "confirmed_at",
  "phone",
  "phone_confirmed_at",
  "raw_app_meta_data",
  "raw_user_meta_data",
  "created_at",
  "last_sign_in_at",
  "banned_until",
  "deleted_at",
  "is_sso_user",
  "is_anonymous",
];

export const schemaSql = (schema: string): string =>
  `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name IN ('users', 'identities', 'mfa_factors')`;

export function usersQuery(schema: string, s: AuthSchema): string {
  const q = (id: string): string => `"${id}"`;
  const cols = USER_COLUMNS.filter((c) => s.users.has(c)).map((c) => `u.${q(c)}`);
  // Before provider_id existed, identities.id held the provider's subject.
  const subject = s.identities.has("provider_id") ? "i.provider_id" : "i.id::text";
  const identities = `(SELECT coalesce(json_agg(json_build_object('provider', i.provider, 'subject', ${subject}, 'email', i.identity_data->>'email') ORDER BY i.created_at), '[]'::json) FROM ${q(schema)}.identities i WHERE i.user_id = u.id) AS identities`;
  const mfa = s.hasMfa
    ? `, (SELECT coalesce(json_agg(f.secret ORDER BY f.created_at), '[]'::json) FROM ${q(schema)}.mfa_factors f WHERE f.user_id = u.id AND f.factor_type = 'totp' AND f.status = 'verified' AND f.secret IS NOT NULL) AS totp_secrets`
    : "";
  return `SELECT ${cols.join(", ")}, ${identities}${mfa} FROM ${q(schema)}.users u`;
}
