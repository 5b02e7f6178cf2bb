// A real OpenID Provider for the OIDC login tests: panva's certified `oidc-provider` on 127.0.0.1.
//
//   node server.mjs --port 0 --redirect-uri http://127.0.0.1:8000/konto/anmelden/oidc/test/rueckkehr/
//
// Prints one line `{"issuer": "http://127.0.0.1:<port>"}` on stdout once it listens. The provider
// signs ID tokens with an RSA key made at start (its JWKS is served at /jwks), requires PKCE (S256),
// and asks who logs in on a plain HTML form at /interaction/<uid>: the test posts an account id and
// the acr the "identity check" proved (or aborts: access_denied). Nothing here is a mock of the
// protocol: discovery, authorization, token, userinfo and JWKS are oidc-provider's own.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { Provider } from "oidc-provider";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "redirect-uri": { type: "string", multiple: true, default: [] },
    "client-id": { type: "string", default: "amtsweg" },
    "client-secret": { type: "string", default: "amtsweg-test-secret" },
  },
});

const ACR_VALUES = [
  "http://eidas.europa.eu/LoA/low",
  "http://eidas.europa.eu/LoA/substantial",
  "http://eidas.europa.eu/LoA/high",
  "urn:amtsweg:test:loa:unmapped",
];

// Fictitious people (real street names of the alliance's towns).
const ACCOUNTS = {
  erika: {
    given_name: "Erika",
    family_name: "Mustermann",
    birthdate: "1964-08-12",
    email: "erika.mustermann@example.org",
    email_verified: true,
    address: { street_address: "Kölner Straße 40", postal_code: "41539", locality: "Dormagen", country: "DE" },
  },
  aylin: {
    given_name: "Aylin",
    family_name: "Yılmaz",
    birthdate: "1991-02-03",
    email: "aylin@example.org",
    email_verified: true,
    address: { street_address: "Lindenstraße 5", postal_code: "41515", locality: "Grevenbroich", country: "DE" },
  },
  // Acts for a business: the provider asserts the organisation (scope "organisation").
  jonas: {
    given_name: "Jonas",
    family_name: "Wirt",
    birthdate: "1979-11-30",
    email: "jonas@example.org",
    email_verified: false,
    organisation_name: "Rheinufer Gastronomie GmbH",
    organisation_id: "HRB 12345, Amtsgericht Neuss",
  },
};

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end(html);
}

function loginPage(uid, params, error = "") {
  const requested = params.acr_values || "";
  const options = ACR_VALUES.map((acr) => `<option value="${escape(acr)}">${escape(acr)}</option>`).join("");
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Test-OP Anmeldung</title></head>
<body><main><h1>Test-Identitätsanbieter</h1>
<p id="requested-acr" data-acr-values="${escape(requested)}">Angefragt: ${escape(requested || "–")}</p>
${error ? `<p id="error">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="account">Konto</label> <input id="account" name="account" value="erika">
<label for="acr">Nachgewiesenes Niveau (acr)</label> <select id="acr" name="acr">${options}</select>
<button type="submit" id="login">Anmelden</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit" id="abort">Abbrechen</button></form>
</main></body></html>`;
}

const port = Number(args.port);
// The issuer must be known before listening; with --port 0 we listen first and build the provider after.
const server = createServer();
server.listen(port, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: args["client-id"],
        client_secret: args["client-secret"],
        redirect_uris: args["redirect-uri"],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    acrValues: ACR_VALUES,
    scopes: ["openid", "profile", "email", "address", "organisation"],
    claims: {
      openid: ["sub"],
      profile: ["given_name", "family_name", "birthdate"],
      email: ["email", "email_verified"],
      address: ["address"],
      organisation: ["organisation_name", "organisation_id"],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  // conformIdTokenClaims (the default): in the code flow the profile claims come only from userinfo,
  // as with most real providers, so the relying party's userinfo call is exercised too.
  const callback = provider.callback();

  server.on("request", async (req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url, issuer).pathname);
    if (!match) return callback(req, res);
    try {
      const [, uid, action] = match;
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return send(res, 400, "interaction mismatch");
      if (!action && req.method === "GET") return send(res, 200, loginPage(uid, details.params));
      if (req.method !== "POST") return send(res, 405, "method not allowed");
      const form = await formBody(req);
      if (action === "abort") {
        return provider.interactionFinished(
          req,
          res,
          { error: "access_denied", error_description: "End-User aborted interaction" },
          { mergeWithLastSubmission: false },
        );
      }
      const accountId = form.get("account") || "";
      const acr = form.get("acr") || "";
      if (!ACCOUNTS[accountId] || !ACR_VALUES.includes(acr)) {
        return send(res, 400, loginPage(uid, details.params, "Unbekanntes Konto oder Niveau"));
      }
      // The test person consents to everything the client asked for (no separate consent page).
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId, acr, remember: false }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      return send(res, 400, escape(error.message));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
