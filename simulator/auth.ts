import type { SimCore } from './core';
import { accessDenied } from './api-error';
import type { AccessToken, Authorisation, Seller, SimApp } from './state';
import type { Region } from './marketplaces';

/** Who is calling: a seller authorisation (or an RDT derived from one), or an app with a grantless token. */
export interface CallerContext {
  token: AccessToken;
  app: SimApp;
  /** Absent for grantless calls. */
  authorisation?: Authorisation;
  seller?: Seller;
}

export interface LwaResult {
  status: number;
  body: Record<string, unknown>;
}

export const GRANTLESS_SCOPES = ['sellingpartnerapi::notifications', 'sellingpartnerapi::client_credential:rotation'] as const;

function lwaError(status: number, error: string, description: string): LwaResult {
  return { status, body: { error, error_description: description } };
}

/** Login with Amazon: apps, seller authorisations, consent codes and access tokens. */
export class AuthService {
  constructor(private readonly core: SimCore) {}

  private get state() {
    return this.core.state;
  }

  registerApp(input: { clientId?: string; clientSecret?: string; applicationId?: string; name?: string }): SimApp {
    const rng = this.core.rng('tokens');
    const clientId = input.clientId ?? `amzn1.application-oa2-client.${rng.hex(32)}`;
    const app: SimApp = {
      clientId,
      clientSecret: input.clientSecret ?? `amzn1.oa2-cs.v1.${rng.hex(64)}`,
      applicationId: input.applicationId ?? `amzn1.sp.solution.${rng.uuid()}`,
      name: input.name ?? 'Simulated app',
      createdAt: this.core.now(),
    };
    this.state.apps.set(clientId, app);
    return app;
  }

  authorise(seller: Seller, clientId: string, roles: string[], refreshToken?: string): Authorisation {
    const token = refreshToken ?? `Atzr|${this.core.rng('tokens').alnumUpper(8)}-${this.core.rng('tokens').hex(48)}`;
    const existing = [...this.state.authorisations.values()].find((a) => a.refreshToken === token);
    if (existing) throw new Error(`refreshToken: already used by seller ${existing.sellerId}; omit it to get a fresh one`);
    const authorisation: Authorisation = {
      id: `auth-${this.core.nextSerial()}`,
      refreshToken: token,
      sellerId: seller.sellerId,
      clientId,
      region: seller.region,
      roles: [...new Set(roles)],
      revoked: false,
      createdAt: this.core.now(),
    };
    this.state.authorisations.set(authorisation.id, authorisation);
    return authorisation;
  }

  authorisationsOf(sellerId: string, clientId?: string): Authorisation[] {
    return [...this.state.authorisations.values()].filter(
      (a) => a.sellerId === sellerId && !a.revoked && (clientId === undefined || a.clientId === clientId),
    );
  }

  issueConsentCode(clientId: string, sellerId: string, roles: string[]): { code: string; expiresAt: number } {
    const code = `ANDOdnKGlxRrSLxzLXhPcJzZ${this.core.rng('tokens').alnumUpper(20)}`;
    const expiresAt = this.core.now() + this.core.options.consentCodeTtlMs;
    this.state.consentCodes.set(code, { code, clientId, sellerId, roles: [...new Set(roles)], expiresAt, used: false });
    return { code, expiresAt };
  }

  /** Every access token (seller, grantless, RDT) expires now; refresh tokens stay valid. */
  expireAllAccessTokens(): number {
    const now = this.core.now();
    let count = 0;
    for (const token of this.state.accessTokens.values()) {
      if (token.expiresAt > now) {
        token.expiresAt = now;
        count++;
      }
    }
    return count;
  }

  private issueAccessToken(fields: Omit<AccessToken, 'token' | 'expiresAt'>, ttlMs = this.core.options.accessTokenTtlMs): AccessToken {
    const prefix = fields.kind === 'rdt' ? 'Atz.sprdt|' : 'Atza|';
    const token: AccessToken = { ...fields, token: `${prefix}${this.core.rng('tokens').hex(64)}`, expiresAt: this.core.now() + ttlMs };
    this.state.accessTokens.set(token.token, token);
    return token;
  }

  issueRestrictedDataToken(caller: CallerContext, resources: NonNullable<AccessToken['restrictedResources']>): AccessToken {
    return this.issueAccessToken({ kind: 'rdt', clientId: caller.app.clientId, authorisationId: caller.authorisation?.id, restrictedResources: resources });
  }

  /** POST https://api.amazon.com/auth/o2/token */
  token(params: Record<string, string>, basicAuth?: { id: string; secret: string }): LwaResult {
    const grantType = params.grant_type;
    const clientId = params.client_id ?? basicAuth?.id;
    const clientSecret = params.client_secret ?? basicAuth?.secret;
    if (!grantType) return lwaError(400, 'invalid_request', 'The request is missing a required parameter : grant_type');
    if (!['refresh_token', 'authorization_code', 'client_credentials'].includes(grantType)) {
      return lwaError(400, 'unsupported_grant_type', `The authorization grant type is not supported by the authorization server : ${grantType}`);
    }
    if (!clientId || !clientSecret) return lwaError(400, 'invalid_request', 'The request is missing a required parameter : client_id or client_secret');
    const app = this.state.apps.get(clientId);
    if (!app || app.clientSecret !== clientSecret) return lwaError(401, 'invalid_client', 'Client authentication failed');
    const expiresIn = Math.round(this.core.options.accessTokenTtlMs / 1000);

    if (grantType === 'refresh_token') {
      const refreshToken = params.refresh_token;
      if (!refreshToken) return lwaError(400, 'invalid_request', 'The request is missing a required parameter : refresh_token');
      const authorisation = [...this.state.authorisations.values()].find((a) => a.refreshToken === refreshToken);
      if (!authorisation || authorisation.revoked) {
        return lwaError(400, 'invalid_grant', "The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission.");
      }
      if (authorisation.clientId !== clientId) return lwaError(400, 'unauthorized_client', 'Not authorized for requested operation');
      const token = this.issueAccessToken({ kind: 'seller', clientId, authorisationId: authorisation.id });
      return { status: 200, body: { access_token: token.token, token_type: 'bearer', expires_in: expiresIn } };
    }

    if (grantType === 'authorization_code') {
      const code = params.code;
      if (!code) return lwaError(400, 'invalid_request', 'The request is missing a required parameter : code');
      const consent = this.state.consentCodes.get(code);
      if (!consent || consent.used || consent.expiresAt <= this.core.now() || consent.clientId !== clientId) {
        return lwaError(400, 'invalid_grant', 'The request has an invalid grant parameter : code');
      }
      consent.used = true;
      const seller = this.state.sellers.get(consent.sellerId);
      if (!seller) return lwaError(400, 'invalid_grant', 'The request has an invalid grant parameter : code');
      const authorisation = this.authorise(seller, clientId, consent.roles);
      const token = this.issueAccessToken({ kind: 'seller', clientId, authorisationId: authorisation.id });
      return {
        status: 200,
        body: { access_token: token.token, refresh_token: authorisation.refreshToken, token_type: 'bearer', expires_in: expiresIn },
      };
    }

    const scope = params.scope;
    if (!scope || !(GRANTLESS_SCOPES as readonly string[]).includes(scope)) {
      return lwaError(400, 'invalid_scope', `An unknown scope was requested : ${scope ?? ''}`);
    }
    const token = this.issueAccessToken({ kind: 'grantless', clientId, scope });
    return { status: 200, body: { access_token: token.token, scope, token_type: 'bearer', expires_in: expiresIn } };
  }

  /** Resolves `x-amz-access-token` for an SP-API call on `region`; throws the matching 403. */
  authenticate(tokenValue: string | undefined, region: Region, method: string, path: string): CallerContext {
    if (!tokenValue) throw accessDenied('Access token is missing in the request header.');
    const token = this.state.accessTokens.get(tokenValue);
    if (!token) throw accessDenied('The access token you provided is revoked, malformed or invalid.');
    const app = this.state.apps.get(token.clientId);
    if (!app) throw accessDenied('The access token you provided is revoked, malformed or invalid.');
    let authorisation: Authorisation | undefined;
    if (token.authorisationId) {
      authorisation = this.state.authorisations.get(token.authorisationId);
      if (!authorisation || authorisation.revoked) throw accessDenied('The access token you provided is revoked, malformed or invalid.');
    }
    if (token.expiresAt <= this.core.now()) throw accessDenied('The access token you provided has expired.');
    const seller = authorisation ? this.state.sellers.get(authorisation.sellerId) : undefined;
    // Authorisations are regional: an EU token on the NA host is plainly denied (empty details).
    if (authorisation && authorisation.region !== region) throw accessDenied('');
    if (token.kind === 'rdt') {
      const allowed = (token.restrictedResources ?? []).some((r) => r.method === method && r.path === path);
      if (!allowed) throw accessDenied('');
    }
    return { token, app, authorisation, seller };
  }
}
