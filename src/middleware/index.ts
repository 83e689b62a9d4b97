/**
 * `authmigrate/middleware`: accept Authgear access tokens in your backend (seed 001 step 4), and
 * optionally the legacy system's tokens alongside while users move over. See docs/middleware.md.
 *
 *   import { honoAuth } from "authmigrate/middleware";
 *   app.use("/api/*", honoAuth({ issuer: "https://myapp.authgear.cloud" }));
 */
export { TokenVerifier, createTokenVerifier } from "./verifier.js";
export type { AuthContext, AuthResult, Claims, LegacyVerifier, TokenVerifierOptions } from "./verifier.js";
export { expressAuth, fastifyAuth, honoAuth } from "./adapters.js";
export type { ExpressLikeNext, ExpressLikeRequest, ExpressLikeResponse, FastifyLikeReply, FastifyLikeRequest, HonoAuthEnv } from "./adapters.js";
