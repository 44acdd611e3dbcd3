//! The `[notify]` configuration: where mail, webhooks and Zalo messages go, and the checks
//! that turn it into something that can send (secrets read from the environment, addresses
//! parsed, plaintext SMTP refused off the local machine).
//!
//! Secrets can be written in the file or, better, named by an environment variable
//! (`password_env`, `secrets_env`, `secret_key_env`, `refresh_token_env`). `Debug` never
//! prints them.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::Error;

/// Everything under `[notify]`. Every part is optional: a channel that is not configured
/// refuses its messages (not retryable) and the others work.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// `[notify.smtp]`: the office's mail server.
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// `[[notify.webhooks]]`: named endpoints that receive signed JSON.
    #[serde(default)]
    pub webhooks: Vec<WebhookEndpoint>,
    /// `[notify.zalo]`: the office's Zalo Official Account.
    #[serde(default)]
    pub zalo: Option<ZaloConfig>,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (submission, port 587). A server that does
    /// not offer STARTTLS is refused, so nothing is ever sent in the clear by accident.
    #[default]
    Starttls,
    /// TLS from the first byte (submissions, port 465).
    Tls,
    /// No encryption (port 25): only for a relay on this machine, or with `allow_plaintext`.
    None,
}

impl Security {
    /// The port used when `port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// `[notify.smtp]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The mail server's host name (or address); certificates are checked against it.
    pub host: String,
    /// The port; unset, 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (the default), `tls` or `none`.
    #[serde(default)]
    pub security: Security,
    /// Allow `security = "none"` to a host that is not this machine. Passwords and messages
    /// then cross the network in the clear.
    #[serde(default)]
    pub allow_plaintext: bool,
    /// The envelope sender (`MAIL FROM`), such as `canhbao@soyte.example.vn`; a display
    /// name (`Lắng Nghe <canhbao@…>`) is accepted and ignored for the envelope.
    pub from: String,
    /// The login name, when the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// The password, written in the file (prefer `password_env`).
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable that holds the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A PEM file of extra root certificates to trust (an office's own CA), in addition to
    /// the public roots built in.
    #[serde(default)]
    pub root_certificate: Option<PathBuf>,
    /// The longest wait for the server at each step, in seconds.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
    /// Connections kept open to the server, at most.
    #[serde(default = "default_pool_max_size")]
    pub pool_max_size: u32,
    /// Seconds an unused connection stays open.
    #[serde(default = "default_pool_idle")]
    pub pool_idle_timeout_secs: u64,
}

fn default_smtp_timeout() -> u64 {
    30
}
fn default_pool_max_size() -> u32 {
    4
}
fn default_pool_idle() -> u64 {
    60
}
fn default_webhook_timeout() -> u64 {
    10
}
fn default_zalo_timeout() -> u64 {
    20
}

/// Where Zalo's access tokens are issued.
pub const ZALO_OAUTH_URL: &str = "https://oauth.zaloapp.com/v4/oa/access_token";
/// Where customer-service messages are sent.
pub const ZALO_API_URL: &str = "https://openapi.zalo.me/v3.0/oa/message/cs";

fn default_oauth_url() -> String {
    ZALO_OAUTH_URL.to_owned()
}
fn default_api_url() -> String {
    ZALO_API_URL.to_owned()
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("allow_plaintext", &self.allow_plaintext)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("password_env", &self.password_env)
            .field("root_certificate", &self.root_certificate)
            .field("timeout_secs", &self.timeout_secs)
            .field("pool_max_size", &self.pool_max_size)
            .field("pool_idle_timeout_secs", &self.pool_idle_timeout_secs)
            .finish()
    }
}

/// One `[[notify.webhooks]]` entry: a receiver named in subscriptions by `name`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    /// The name subscriptions and the outbox use as the recipient.
    pub name: String,
    /// Where the JSON is posted (`https://…`; `http://` only on a trusted network).
    pub url: String,
    /// Signing secrets, `whsec_` followed by base64. Every secret listed signs every
    /// delivery, so a receiver can move from an old secret to a new one without a gap.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// An environment variable holding more secrets, separated by spaces or commas.
    #[serde(default)]
    pub secrets_env: Option<String>,
    /// The longest a delivery may take, in seconds.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_secs: u64,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("secrets", &format_args!("<{} hidden>", self.secrets.len()))
            .field("secrets_env", &self.secrets_env)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// `[notify.zalo]`: the Zalo app that acts for the office's Official Account.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZaloConfig {
    /// The app's ID (developers.zalo.me).
    pub app_id: String,
    /// The app's secret key, written in the file (prefer `secret_key_env`).
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The environment variable that holds the app's secret key.
    #[serde(default)]
    pub secret_key_env: Option<String>,
    /// The first refresh token, from granting the app access to the OA. Used only while the
    /// store holds no tokens: after the first refresh the store keeps the current one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The environment variable that holds the first refresh token.
    #[serde(default)]
    pub refresh_token_env: Option<String>,
    /// The token endpoint.
    #[serde(default = "default_oauth_url")]
    pub oauth_url: String,
    /// The message endpoint.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// The longest one request may take, in seconds.
    #[serde(default = "default_zalo_timeout")]
    pub timeout_secs: u64,
}

impl fmt::Debug for ZaloConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZaloConfig")
            .field("app_id", &self.app_id)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<hidden>"))
            .field("secret_key_env", &self.secret_key_env)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<hidden>"))
            .field("refresh_token_env", &self.refresh_token_env)
            .field("oauth_url", &self.oauth_url)
            .field("api_url", &self.api_url)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// Reads environment variables; a parameter so tests need not change the process
/// environment.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The value written in the file, else the one in the named environment variable. A named
/// variable that is unset or empty is an error: the administrator meant it to be there.
pub(crate) fn secret(
    key: &str,
    written: Option<&str>,
    env_key: &str,
    env_name: Option<&str>,
    env: Env<'_>,
) -> Result<Option<String>, Error> {
    if let Some(name) = env_name {
        return match env(name) {
            Some(value) if !value.trim().is_empty() => Ok(Some(value.trim().to_owned())),
            _ => Err(Error::config(env_key, format!("the environment variable {name} is not set"))),
        };
    }
    match written {
        Some(value) if value.trim().is_empty() => Err(Error::config(key, "is empty")),
        Some(value) => Ok(Some(value.to_owned())),
        None => Ok(None),
    }
}

/// Whether `host` is this machine: `localhost` or a loopback address.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks an `http(s)` URL.
pub(crate) fn http_url(key: &str, value: &str) -> Result<url::Url, Error> {
    let parsed = url::Url::parse(value).map_err(|e| Error::config(key, format!("{e}")))?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some() => Ok(parsed),
        _ => Err(Error::config(key, "must be an http:// or https:// address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn a_whole_section_parses_with_defaults() {
        let config: NotifyConfig = toml::from_str(
            r#"
            [smtp]
            host = "mail.soyte.example.vn"
            from = "Lắng Nghe <canhbao@soyte.example.vn>"
            username = "canhbao"
            password_env = "LANGNGHE_SMTP_PASSWORD"

            [[webhooks]]
            name = "phong-truyen-thong"
            url = "https://hooks.example.vn/langnghe"
            secrets = ["whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]

            [zalo]
            app_id = "1234567890"
            secret_key_env = "LANGNGHE_ZALO_SECRET"
            "#,
        )
        .unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!(smtp.security, Security::Starttls);
        assert_eq!(smtp.port, None);
        assert_eq!(smtp.security.default_port(), 587);
        assert_eq!(
            (smtp.timeout_secs, smtp.pool_max_size, smtp.pool_idle_timeout_secs),
            (30, 4, 60)
        );
        assert_eq!(config.webhooks[0].timeout_secs, 10);
        let zalo = config.zalo.unwrap();
        assert_eq!(zalo.oauth_url, ZALO_OAUTH_URL);
        assert_eq!(zalo.api_url, ZALO_API_URL);
    }

    #[test]
    fn unknown_keys_and_security_modes_are_refused() {
        assert!(
            toml::from_str::<NotifyConfig>("[smtp]\nhost='h'\nfrom='a@b.vn'\nport_no=1").is_err()
        );
        assert!(
            toml::from_str::<NotifyConfig>("[smtp]\nhost='h'\nfrom='a@b.vn'\nsecurity='ssl'")
                .is_err()
        );
    }

    #[test]
    fn debug_output_hides_every_secret() {
        let config: NotifyConfig = toml::from_str(
            r#"
            [smtp]
            host = "h"
            from = "a@b.vn"
            password = "mat-khau-smtp"
            [[webhooks]]
            name = "n"
            url = "https://x.vn"
            secrets = ["whsec_bWF0LWtoYXU="]
            [zalo]
            app_id = "1"
            secret_key = "khoa-zalo"
            refresh_token = "token-lam-moi"
            "#,
        )
        .unwrap();
        let shown = format!("{config:?}");
        for secret in ["mat-khau-smtp", "bWF0LWtoYXU", "khoa-zalo", "token-lam-moi"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<hidden>"));
    }

    #[test]
    fn secrets_come_from_the_file_or_the_named_variable() {
        let env = env_with(&[("PASS", " s3cret \n"), ("EMPTY", "")]);
        assert_eq!(secret("k", Some("x"), "k_env", None, &env).unwrap(), Some("x".into()));
        assert_eq!(secret("k", None, "k_env", Some("PASS"), &env).unwrap(), Some("s3cret".into()));
        assert_eq!(secret("k", None, "k_env", None, &env).unwrap(), None);
        let missing = secret("k", None, "k_env", Some("NOPE"), &env).unwrap_err().to_string();
        assert_eq!(missing, "k_env: the environment variable NOPE is not set");
        assert!(secret("k", None, "k_env", Some("EMPTY"), &env).is_err());
        assert!(secret("k", Some(" "), "k_env", None, &env).is_err());
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]", "LOCALHOST"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["mail.soyte.example.vn", "10.0.0.5", "0.0.0.0", "localhost.example.vn"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
