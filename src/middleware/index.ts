/**
 * `authmigrate/middleware`: accept the new provider's access tokens in your backend (seed 001
 * step 4), and the legacy system's tokens alongside while users move over (seed 003 step 2:
 * `DualTokenVerifier`, one identity from both, `auth_path_total` counter), plus the sign-up
 * bootstrap of seed 003 step 4 (`createUserBootstrap`). See docs/middleware.md.
 *
 *   import { honoAuth } from "authmigrate/middleware";
 *   app.use("/api/*", honoAuth({ issuer: "https://myapp.authgear.cloud" }));
 */
export { TokenVerifier, createTokenVerifier, bearerToken } from "./verifier.js";
export type { AuthContext, AuthResult, Authenticator, Claims, Identity, LegacyVerifier, TokenVerifierOptions } from "./verifier.js";
export { DualTokenVerifier, createDualTokenVerifier, AUTH_PATH_METRIC } from "./dual.js";
export type { DualTokenVerifierOptions, IssuerConfig, ResolveIdentity, TokenKind } from "./dual.js";
export { createUserBootstrap } from "./bootstrap.js";
export type { BootstrapOutcome, BootstrapResult, BootstrapRow, NewUserInput, UserBootstrap, UserBootstrapOptions } from "./bootstrap.js";
export { expressAuth, fastifyAuth, honoAuth } from "./adapters.js";
export type { ExpressLikeNext, ExpressLikeRequest, ExpressLikeResponse, FastifyLikeReply, FastifyLikeRequest, HonoAuthEnv } from "./adapters.js";
