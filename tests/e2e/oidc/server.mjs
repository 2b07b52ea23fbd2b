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
//   OIDC_PROFILE           "strict": configured the way many deployments run
//                          (see STRICT below); unset: the lenient native profile
//   OIDC_STRICT_SECRET     strict profile: the client secret
//   OIDC_STRICT_REDIRECT   strict profile: the one registered redirect URI
//   OIDC_EXIT_WITH_STDIN   if "1", exit when stdin closes: the test helper keeps
//                          a pipe open, so the provider never outlives a
//                          crashed test run
//   OIDC_TLS_CERT, OIDC_TLS_KEY  PEM files: serve https (a self-signed certificate
//                          that the caller trusts) instead of http
//   OIDC_MOUNT             a path such as "/oidc": the issuer is
//                          https://127.0.0.1:PORT/oidc, as MSAL needs an
//                          authority with a path (benchmarks/connect.py)

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

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

const tls = process.env.OIDC_TLS_CERT
  ? { cert: fs.readFileSync(process.env.OIDC_TLS_CERT), key: fs.readFileSync(process.env.OIDC_TLS_KEY) }
  : null;
const mount = process.env.OIDC_MOUNT ?? '';
if (mount && !/^\/[a-z]+$/.test(mount)) {
  process.stderr.write(`invalid OIDC_MOUNT: ${mount}\n`);
  process.exit(2);
}
const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${mount}`;

export const PUBLIC_CLIENT_ID = 'desktop-oauth-test';
export const INTROSPECTOR_CLIENT_ID = 'desktop-oauth-introspector';

// STRICT: a confidential client as many deployments register it: the redirect
// URI compared exactly (port included, as for a web client), client_secret_basic
// with the secret given (one with % + : in it), revocation only with client
// authentication (oidc-provider always asks it of a confidential client), two
// signing keys published without kid, and scopes_supported ["openid"].
export const STRICT_CLIENT_ID = 'desktop-oauth-strict';
const strict = process.env.OIDC_PROFILE === 'strict';
const strictClient = {
  client_id: STRICT_CLIENT_ID,
  client_secret: process.env.OIDC_STRICT_SECRET ?? '',
  application_type: 'web',
  token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: [process.env.OIDC_STRICT_REDIRECT ?? ''],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'openid profile email offline_access',
};
function rsaJwk() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };
}

const configuration = {
  ...(strict ? { jwks: { keys: [rsaJwk(), rsaJwk()] } } : {}),
  clients: [
    ...(strict ? [strictClient] : []),
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
      // The other libraries the benchmarks compare with (benchmarks/connect.py).
      // MSAL: a public native client with PKCE, like the app's, redirected to
      // http://localhost:PORT.
      client_id: 'desktop-oauth-bench-msal',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'openid profile email offline_access',
    },
    {
      // google-auth-oauthlib always authenticates with a client secret (Google's
      // "installed app" clients have one that is not kept secret), redirected to
      // http://127.0.0.1:PORT/.
      client_id: 'desktop-oauth-bench-google',
      client_secret: 'bench-google-secret',
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['http://127.0.0.1/'],
      grant_types: ['authorization_code', 'refresh_token'],
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

if (strict) {
  // oidc-provider always names its keys (kid) and lists every scope it knows;
  // the deployments this profile stands for publish neither (a gateway in front
  // rewrites both documents). The signing key stays first, as it was configured.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks' && ctx.body?.keys) {
      ctx.body = { keys: ctx.body.keys.map(({ kid, ...key }) => key) };
    } else if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
      ctx.body = { ...ctx.body, scopes_supported: ['openid'] };
    }
  });
}

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`server_error: ${err?.stack ?? err}\n`);
});

// Mounted under a path (OIDC_MOUNT), requests outside it get 404 and the rest
// reach the provider with the path stripped, as a mounting framework does.
const callback = provider.callback();
function handler(req, res) {
  if (!mount) return callback(req, res);
  if (req.url !== mount && !req.url.startsWith(`${mount}/`) && !req.url.startsWith(`${mount}?`)) {
    res.statusCode = 404;
    res.end();
    return undefined;
  }
  req.originalUrl = req.url;
  req.url = req.url.slice(mount.length) || '/';
  return callback(req, res);
}
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);

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
