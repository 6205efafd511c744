//! Getting a session for each org, in the ways admins already have: the OAuth 2.0 JWT bearer
//! and client-credentials flows (explicit flags), `SF_ACCESS_TOKEN` + `SF_INSTANCE_URL` (the
//! environment), or the Salesforce CLI's stored login (`--target-org`). Explicit flags win over
//! the environment, which wins over `--target-org`. Tokens live only in memory ([`Secret`]).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::error::FetchError;
use super::http::{check, check_url, encode, error_of, transport, Client, Failure};
use super::jwt::SigningKey;
use super::Secret;

/// The authentication inputs of a run: flags and environment, not yet resolved.
#[derive(Debug, Clone, Default)]
pub struct AuthInputs {
    /// `--target-org` aliases or usernames (several orgs in one run).
    pub target_orgs: Vec<String>,
    /// `--client-id` (connected app consumer key).
    pub client_id: Option<String>,
    /// `--username` (JWT bearer subject).
    pub username: Option<String>,
    /// `--jwt-key-file`.
    pub jwt_key_file: Option<PathBuf>,
    /// `--login-url` (login.salesforce.com, test.salesforce.com or My Domain).
    pub login_url: String,
    /// `SF_ACCESS_TOKEN`.
    pub env_token: Option<Secret>,
    /// `SF_INSTANCE_URL`.
    pub env_instance_url: Option<String>,
    /// `SF_CLIENT_SECRET`.
    pub env_client_secret: Option<Secret>,
    /// The `sf` program (the CLI on PATH unless tests say otherwise).
    pub sf_program: String,
}

/// One way to get a session for one org.
#[derive(Debug)]
pub enum Source {
    /// A token handed over as it is (`SF_ACCESS_TOKEN`).
    Token {
        /// The org's instance URL.
        instance_url: String,
        /// The access token.
        token: Secret,
    },
    /// The JWT bearer flow.
    Jwt {
        /// Consumer key.
        client_id: String,
        /// The user the job runs as.
        username: String,
        /// The signing key.
        key: Box<SigningKey>,
        /// The login URL (also the assertion's audience).
        login_url: String,
    },
    /// The client-credentials flow.
    ClientCredentials {
        /// Consumer key.
        client_id: String,
        /// Consumer secret.
        secret: Secret,
        /// The login URL (My Domain).
        login_url: String,
    },
    /// `sf org display --target-org ALIAS --json`.
    SfCli {
        /// The alias or username.
        alias: String,
        /// The `sf` program.
        program: String,
    },
}

/// A usable session: where the org is and the token to show it.
#[derive(Debug)]
pub struct Session {
    /// The org as the user named it (alias, username, client id or the instance's host).
    pub label: String,
    /// Instance URL without a trailing slash.
    pub instance_url: String,
    /// The access token.
    pub token: Secret,
    /// How to get a new session when this one is refused.
    pub reauth: String,
}

/// The sources to use, by precedence, and notes on the inputs that lose.
pub fn plan(inputs: &AuthInputs) -> Result<(Vec<Source>, Vec<String>), FetchError> {
    let mut notes = Vec::new();
    let env_token = inputs.env_token.clone().zip(inputs.env_instance_url.clone());
    let ignored = |what: &str, by: &str| format!("warning: {what} ignored: {by} wins");
    if let Some(client_id) = &inputs.client_id {
        if env_token.is_some() {
            notes.push(ignored("SF_ACCESS_TOKEN", "--client-id"));
        }
        if !inputs.target_orgs.is_empty() {
            notes.push(ignored("--target-org", "--client-id"));
        }
        return Ok((vec![flag_source(inputs, client_id)?], notes));
    }
    if inputs.username.is_some() || inputs.jwt_key_file.is_some() {
        return Err(FetchError::Auth(
            "--username and --jwt-key-file belong to the JWT bearer flow: give --client-id too".into(),
        ));
    }
    if let Some((token, instance_url)) = env_token {
        if !inputs.target_orgs.is_empty() {
            notes.push(ignored("--target-org", "SF_ACCESS_TOKEN + SF_INSTANCE_URL"));
        }
        check_url(&instance_url).map_err(|e| FetchError::Auth(format!("SF_INSTANCE_URL: {e}")))?;
        let instance_url = instance_url.trim_end_matches('/').to_string();
        return Ok((vec![Source::Token { instance_url, token }], notes));
    }
    if inputs.env_token.is_some() != inputs.env_instance_url.is_some() {
        return Err(FetchError::Auth(
            "SF_ACCESS_TOKEN and SF_INSTANCE_URL go together: set both (or neither)".into(),
        ));
    }
    if inputs.target_orgs.is_empty() {
        return Err(FetchError::Auth(
            "no org to fetch from: pass --target-org ALIAS (a Salesforce CLI login), set \
             SF_ACCESS_TOKEN and SF_INSTANCE_URL, or use --client-id with --jwt-key-file and \
             --username (JWT bearer flow) or with SF_CLIENT_SECRET (client credentials)"
                .into(),
        ));
    }
    let sources = inputs
        .target_orgs
        .iter()
        .map(|alias| Source::SfCli {
            alias: alias.clone(),
            program: inputs.sf_program.clone(),
        })
        .collect();
    Ok((sources, notes))
}

fn flag_source(inputs: &AuthInputs, client_id: &str) -> Result<Source, FetchError> {
    let login_url = inputs.login_url.trim_end_matches('/').to_string();
    check_url(&login_url).map_err(|e| FetchError::Auth(format!("--login-url: {e}")))?;
    if let Some(path) = &inputs.jwt_key_file {
        let Some(username) = inputs.username.clone() else {
            return Err(FetchError::Auth(
                "the JWT bearer flow needs --username (the user the job runs as)".into(),
            ));
        };
        let pem = std::fs::read_to_string(path)
            .map_err(|e| FetchError::Auth(format!("--jwt-key-file {}: cannot read: {e}", path.display())))?;
        let key = SigningKey::from_pem(&pem)
            .map_err(|e| FetchError::Auth(format!("--jwt-key-file {}: {e}", path.display())))?;
        return Ok(Source::Jwt {
            client_id: client_id.to_string(),
            username,
            key: Box::new(key),
            login_url,
        });
    }
    let Some(secret) = inputs.env_client_secret.clone() else {
        return Err(FetchError::Auth(
            "--client-id needs --jwt-key-file and --username (JWT bearer flow) or the \
             SF_CLIENT_SECRET environment variable (client-credentials flow)"
                .into(),
        ));
    };
    if inputs.username.is_some() {
        return Err(FetchError::Auth(
            "--username is for the JWT bearer flow: give --jwt-key-file too, or drop --username \
             (the client-credentials flow runs as the connected app's execution user)"
                .into(),
        ));
    }
    Ok(Source::ClientCredentials {
        client_id: client_id.to_string(),
        secret,
        login_url,
    })
}

impl Source {
    /// How this source names its org in messages.
    pub fn label(&self) -> String {
        match self {
            Source::Token { instance_url, .. } => host_of(instance_url),
            Source::Jwt { username, .. } => username.clone(),
            Source::ClientCredentials { client_id, .. } => format!("client {}", short(client_id)),
            Source::SfCli { alias, .. } => alias.clone(),
        }
    }

    /// Whether asking again gives a new session (not for a token handed over as it is).
    pub fn can_sign_in_again(&self) -> bool {
        !matches!(self, Source::Token { .. })
    }

    /// Gets a session (token requests are retried like any call, but not counted as API
    /// calls: they are logins).
    pub fn open(&self, client: &Client, now_unix: i64) -> Result<Session, FetchError> {
        let label = self.label();
        match self {
            Source::Token { instance_url, token } => Ok(Session {
                label,
                instance_url: instance_url.clone(),
                token: token.clone(),
                reauth: "get a new access token (e.g. from `sf org display --target-org ALIAS \
                         --json`), set SF_ACCESS_TOKEN to it and re-run"
                    .into(),
            }),
            Source::Jwt {
                client_id,
                username,
                key,
                login_url,
            } => {
                let assertion = key
                    .assertion(client_id, username, login_url, now_unix)
                    .map_err(FetchError::Auth)?;
                let form = format!(
                    "grant_type={}&assertion={}",
                    encode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    encode(&assertion)
                );
                let hint = "check --client-id, --username and --login-url (test.salesforce.com \
                            for sandboxes), that the connected app holds the key's certificate \
                            and that the user is pre-authorized for it";
                let session = token_request(client, &label, login_url, &form, "JWT bearer flow", hint)?;
                Ok(Session {
                    reauth: "re-run fetch: the JWT bearer flow gets a new token each run; if the \
                             session keeps being refused, check the connected app's session \
                             policies and IP restrictions"
                        .into(),
                    ..session
                })
            }
            Source::ClientCredentials {
                client_id,
                secret,
                login_url,
            } => {
                let form = format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}",
                    encode(client_id),
                    encode(secret.expose())
                );
                let hint = "check --client-id and SF_CLIENT_SECRET, that --login-url is the \
                            org's My Domain URL, and that the connected app enables the \
                            client-credentials flow with a run-as user";
                let session =
                    token_request(client, &label, login_url, &form, "client-credentials flow", hint)?;
                Ok(Session {
                    reauth: "re-run fetch: the client-credentials flow gets a new token each run; \
                             if the session keeps being refused, check the connected app's \
                             run-as user and session policies"
                        .into(),
                    ..session
                })
            }
            Source::SfCli { alias, program } => sf_display(program, alias),
        }
    }
}

/// POSTs a token request and reads `access_token` and `instance_url`.
fn token_request(
    client: &Client,
    label: &str,
    login_url: &str,
    form: &str,
    flow: &str,
    hint: &str,
) -> Result<Session, FetchError> {
    let url = format!("{login_url}/services/oauth2/token");
    let what = format!("the {flow} at {login_url}");
    let body = client.retrying(label, &what, false, |agent| {
        let response = agent
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .send(form)
            .map_err(|e| transport(label, &what, e))?;
        let status = response.status().as_u16();
        if status == 400 || status == 401 || status == 403 {
            let mut response = response;
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let (code, message) = error_of(&text);
            return Err(Failure::Fatal(FetchError::Auth(format!(
                "{label}: the {flow} was refused by {login_url} ({code}: {message}); {hint}"
            ))));
        }
        let mut response = check(label, &what, response, "", "")?;
        response
            .body_mut()
            .read_to_string()
            .map_err(|e| Failure::Transient(e.to_string()))
    })?;
    let value: Value = serde_json::from_str(&body).map_err(|_| bad_token_reply(label, &what))?;
    let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(token), Some(instance_url)) = (field("access_token"), field("instance_url")) else {
        return Err(bad_token_reply(label, &what));
    };
    session(label, instance_url, token, &what)
}

fn bad_token_reply(label: &str, what: &str) -> FetchError {
    FetchError::Protocol {
        org: label.to_string(),
        what: what.to_string(),
        detail: "no access_token and instance_url in the reply".into(),
    }
}

fn session(label: &str, instance_url: String, token: String, what: &str) -> Result<Session, FetchError> {
    check_url(&instance_url).map_err(|e| FetchError::Protocol {
        org: label.to_string(),
        what: what.to_string(),
        detail: format!("instance URL {e}"),
    })?;
    Ok(Session {
        label: label.to_string(),
        instance_url: instance_url.trim_end_matches('/').to_string(),
        token: Secret::new(token),
        reauth: String::new(),
    })
}

/// Asks the Salesforce CLI for the stored login of `alias`.
fn sf_display(program: &str, alias: &str) -> Result<Session, FetchError> {
    let command = format!("`sf org display --target-org {alias} --json`");
    let output = Command::new(program)
        .args(["org", "display", "--target-org", alias, "--json"])
        .output()
        .map_err(|e| {
            FetchError::Auth(format!(
                "{alias}: cannot run the Salesforce CLI (`{program}`: {e}); install it and log in \
                 (`sf org login web --alias {alias}`), or use SF_ACCESS_TOKEN + SF_INSTANCE_URL"
            ))
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value: Value = serde_json::from_str(stdout.trim()).map_err(|_| {
        FetchError::Auth(format!(
            "{alias}: {command} did not print JSON (exit {}); run it by hand to see why",
            output.status.code().unwrap_or(-1)
        ))
    })?;
    let status = value.get("status").and_then(Value::as_i64).unwrap_or(-1);
    let result = value.get("result");
    let field = |k: &str| {
        result
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (Some(token), Some(instance_url)) = (field("accessToken"), field("instanceUrl")) else {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no access token");
        let message = super::redact(message, &[]);
        return Err(FetchError::Auth(format!(
            "{alias}: {command} failed (status {status}): {message}; log in with \
             `sf org login web --alias {alias}` (or `sf org login jwt`) and re-run"
        )));
    };
    let mut s = session(alias, instance_url, token, &command)?;
    s.reauth = format!(
        "log in again with `sf org login web --alias {alias}` (the CLI's stored session has \
         expired or was revoked) and re-run"
    );
    Ok(s)
}

/// `acme.my.salesforce.com` out of `https://acme.my.salesforce.com/`.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// The first characters of an id, for labels.
fn short(id: &str) -> String {
    let head: String = id.chars().take(8).collect();
    if head.len() < id.len() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> AuthInputs {
        AuthInputs {
            login_url: "https://login.salesforce.com".into(),
            sf_program: "sf".into(),
            ..AuthInputs::default()
        }
    }

    #[test]
    fn flags_beat_the_environment_which_beats_target_org() {
        let mut i = inputs();
        i.target_orgs = vec!["prod".into()];
        i.env_token = Some(Secret::new("tok".into()));
        i.env_instance_url = Some("https://acme.my.salesforce.com".into());
        let (sources, notes) = plan(&i).unwrap();
        assert!(matches!(sources[..], [Source::Token { .. }]));
        assert_eq!(
            notes,
            ["warning: --target-org ignored: SF_ACCESS_TOKEN + SF_INSTANCE_URL wins"]
        );
        i.client_id = Some("3MVG".into());
        i.env_client_secret = Some(Secret::new("s".into()));
        let (sources, notes) = plan(&i).unwrap();
        assert!(matches!(sources[..], [Source::ClientCredentials { .. }]));
        assert_eq!(notes.len(), 2);
    }

    #[test]
    fn incomplete_inputs_say_what_is_missing() {
        let mut i = inputs();
        let e = plan(&i).unwrap_err().to_string();
        assert!(e.contains("--target-org ALIAS"), "{e}");
        i.client_id = Some("3MVG".into());
        let e = plan(&i).unwrap_err().to_string();
        assert!(e.contains("SF_CLIENT_SECRET"), "{e}");
        i.jwt_key_file = Some("k.pem".into());
        let e = plan(&i).unwrap_err().to_string();
        assert!(e.contains("--username"), "{e}");
        let mut j = inputs();
        j.env_token = Some(Secret::new("t".into()));
        assert!(plan(&j).unwrap_err().to_string().contains("go together"));
        j.env_instance_url = Some("http://acme.my.salesforce.com".into());
        assert!(plan(&j).unwrap_err().to_string().contains("only https://"));
    }
}
