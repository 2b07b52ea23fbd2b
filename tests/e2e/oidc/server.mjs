// A real, unmodified OpenID provider (npm `oidc-provider`, OpenID-certified) for
// the end-to-end tests. Started by tests/e2e/oidc_provider.py as
//
//     node server.mjs PORT
//
// It listens on http://127.0.0.1:PORT (that is also the issuer, exactly) and
// prints one line `READY http://127.0.0.1:PORT` once it accepts connections.
// State (grants, tokens, sessions) lives in memory with development signing
// keys: start a fresh one per test session.
//
// Environment:
//   OIDC_ACCESS_TOKEN_TTL  access token lifetime in seconds (default 3600)
//   OIDC_EXIT_WITH_STDIN   if "1", exit when stdin closes: the test helper keeps
//                          a pipe open, so the provider never outlives a
//                          crashed test run

import * as http from 'node:http';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.argv[2] ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: node server.mjs PORT\n');
  process.exit(2);
}

const accessTokenTtl = Number.parseInt(process.env.OIDC_ACCESS_TOKEN_TTL ?? '3600', 10);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
  process.stderr.write(`invalid OIDC_ACCESS_TOKEN_TTL: ${process.env.OIDC_ACCESS_TOKEN_TTL}\n`);
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;

export const PUBLIC_CLIENT_ID = 'desktop-oauth-test';
export const INTROSPECTOR_CLIENT_ID = 'desktop-oauth-introspector';

const configuration = {
  clients: [
    {
      // The app under test: a public native client (RFC 8252). Its loopback
      // redirect URI accepts any port; host and path must match exactly.
      client_id: PUBLIC_CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: [
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
      ],
      response_types: ['code'],
      scope: 'openid profile email offline_access',
    },
    {
      // Used by the tests only, to ask the provider what it thinks of any token.
      client_id: INTROSPECTOR_CLIENT_ID,
      client_secret: 'introspector-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],

  features: {
    devInteractions: { enabled: true },
    revocation: {
      enabled: true,
      // The library's default, spelled out (silences its "SHOULD change" notice):
      // a client may revoke only its own tokens.
      async allowedPolicy(ctx, client, token) {
        return token.clientId === client.clientId;
      },
    },
    introspection: {
      enabled: true,
      // The introspector may look at any token; any other client only at its own.
      async allowedPolicy(ctx, client, token) {
        return client.clientId === INTROSPECTOR_CLIENT_ID || token.clientId === client.clientId;
      },
    },
    userinfo: { enabled: true },
    deviceFlow: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },

  // The app only uses the authorization code flow (plus the device flow).
  responseTypes: ['code'],

  // v9: PKCE only supports S256 (there is no `pkce.methods` option any more);
  // `pkce.required` is a function (ctx, client) => boolean.
  pkce: {
    required: () => true,
  },

  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },

  // Any login id is an account: sub = login.
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: id.charAt(0).toUpperCase() + id.slice(1),
          preferred_username: id,
          email: `${id}@example.test`,
          email_verified: true,
        };
      },
    };
  },

  // A refresh token only when offline_access was granted. Note: the provider
  // itself drops offline_access from the request unless the authorization
  // request carries prompt=consent (OIDC Core 11), before this is consulted.
  async issueRefreshToken(ctx, client, source) {
    return client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access');
  },

  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    DeviceCode: 600,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },

  // Fixed development cookie keys: this provider only ever runs on loopback
  // for tests.
  cookies: { keys: ['desktop-oauth-e2e-cookie-key'] },

  // Must return a boolean synchronously. Nothing here is a browser app.
  clientBasedCORS() {
    return false;
  },
};

const provider = new Provider(issuer, configuration);

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`server_error: ${err?.stack ?? err}\n`);
});

const server = http.createServer(provider.callback());

server.on('error', (err) => {
  process.stderr.write(`listen failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

if (process.env.OIDC_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
