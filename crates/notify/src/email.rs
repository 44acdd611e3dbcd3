//! E-mail: composing a message ([`compose`]) and sending ready-made RFC 5322 bytes over SMTP
//! with lettre's async transport (tokio, rustls), STARTTLS or implicit TLS, login, and a
//! pool of open connections.
//!
//! The transport is built on first use, inside the runtime, because lettre's pool starts
//! a task of its own; the configuration is checked in full before that, at start-up.

use std::time::Duration;

use lettre::address::{Address, Envelope};
use lettre::message::{Mailbox, MultiPart, SinglePart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncTransport, Tokio1Executor};
use tokio::sync::OnceCell;

use crate::config::{Env, Security, SmtpConfig, is_loopback, secret};
use crate::error::describe;
use crate::{DeliveryError, Error};

fn mailbox(address: &str) -> Result<Mailbox, Error> {
    address.trim().parse().map_err(|e: lettre::address::AddressError| Error::Address {
        address: address.to_owned(),
        problem: e.to_string(),
    })
}

/// A Message-ID in its written form, `<…>`.
fn angle_brackets(id: &str) -> String {
    let id = id.trim();
    if id.starts_with('<') && id.ends_with('>') { id.to_owned() } else { format!("<{id}>") }
}

/// Builds a complete message: `From`, `To`, the subject (non-ASCII text is RFC 2047
/// encoded, so a Vietnamese subject survives every mail server), `Date`, the given
/// `Message-ID` (angle brackets added when missing), and the body as `text/plain`, or as
/// `multipart/alternative` with an HTML part when `html` is given. Everything is UTF-8.
pub fn compose(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: Option<&str>,
    message_id: &str,
) -> Result<Vec<u8>, Error> {
    if message_id.trim().is_empty() {
        return Err(Error::Message("the message id is empty".into()));
    }
    let builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .to(mailbox(to)?)
        .subject(subject)
        .message_id(Some(angle_brackets(message_id)));
    let message = match html {
        Some(html) => {
            builder.multipart(MultiPart::alternative_plain_html(text.to_owned(), html.to_owned()))
        }
        None => builder.singlepart(
            SinglePart::builder().header(header::ContentType::TEXT_PLAIN).body(text.to_owned()),
        ),
    }
    .map_err(|e| Error::Message(e.to_string()))?;
    Ok(message.formatted())
}

/// The configured mail server.
pub(crate) struct Mailer {
    builder: AsyncSmtpTransportBuilder,
    transport: OnceCell<AsyncSmtpTransport<Tokio1Executor>>,
    from: Address,
    server: String,
}

impl Mailer {
    /// Checks `[notify.smtp]` and prepares the transport (built on first use).
    pub(crate) fn new(config: &SmtpConfig, env: Env<'_>) -> Result<Mailer, Error> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(Error::config("notify.smtp.host", "is empty"));
        }
        if config.security == Security::None && !config.allow_plaintext && !is_loopback(host) {
            return Err(Error::config(
                "notify.smtp.security",
                format!(
                    "\"none\" sends passwords and messages in the clear; it is allowed only to \
                     this machine (localhost), not to {host}, unless allow_plaintext = true"
                ),
            ));
        }
        let from = mailbox(&config.from)
            .map_err(|e| Error::config("notify.smtp.from", e.to_string()))?
            .email;
        let port = config.port.unwrap_or_else(|| config.security.default_port());
        if port == 0 {
            return Err(Error::config("notify.smtp.port", "must not be 0"));
        }
        if config.timeout_secs == 0 {
            return Err(Error::config("notify.smtp.timeout_secs", "must be at least 1"));
        }
        if config.pool_max_size == 0 {
            return Err(Error::config("notify.smtp.pool_max_size", "must be at least 1"));
        }
        let password = secret(
            "notify.smtp.password",
            config.password.as_deref(),
            "notify.smtp.password_env",
            config.password_env.as_deref(),
            env,
        )?;
        let credentials = match (&config.username, password) {
            (Some(user), Some(password)) if !user.trim().is_empty() => {
                Some(Credentials::new(user.trim().to_owned(), password))
            }
            (Some(_), None) => {
                return Err(Error::config(
                    "notify.smtp.password",
                    "a username is set but no password (password or password_env)",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "notify.smtp.username",
                    "a password is set but no username",
                ));
            }
            (Some(_), Some(_)) => return Err(Error::config("notify.smtp.username", "is empty")),
            (None, None) => None,
        };
        let tls = match config.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(tls_parameters(config, host)?),
            Security::Tls => Tls::Wrapper(tls_parameters(config, host)?),
        };
        let pool = PoolConfig::new()
            .max_size(config.pool_max_size)
            .idle_timeout(Duration::from_secs(config.pool_idle_timeout_secs));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs)))
            .pool_config(pool);
        if let Some(credentials) = credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Mailer { builder, transport: OnceCell::new(), from, server: format!("{host}:{port}") })
    }

    /// Sends a complete message to one recipient; the envelope sender is the configured
    /// `from`.
    pub(crate) async fn send_raw(&self, to: &str, message: &[u8]) -> Result<(), DeliveryError> {
        let to: Address = to.trim().parse().map_err(|e| {
            DeliveryError::permanent(format!("not an e-mail address: {to:?} ({e})"))
        })?;
        let envelope = Envelope::new(Some(self.from.clone()), vec![to])
            .map_err(|e| DeliveryError::permanent(format!("cannot build the envelope: {e}")))?;
        let transport = self.transport.get_or_init(|| async { self.builder.clone().build() }).await;
        match transport.send_raw(&envelope, message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&self.server, &e)),
        }
    }
}

fn tls_parameters(config: &SmtpConfig, host: &str) -> Result<TlsParameters, Error> {
    let mut params = TlsParameters::builder(host.to_owned());
    if let Some(path) = &config.root_certificate {
        let pem = std::fs::read(path).map_err(|source| Error::ReadFile {
            key: "notify.smtp.root_certificate".into(),
            path: path.clone(),
            source,
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            Error::config(
                "notify.smtp.root_certificate",
                format!("{} is not a PEM certificate: {e}", path.display()),
            )
        })?;
        params = params.add_root_certificate(certificate);
    }
    params
        .build_rustls()
        .map_err(|e| Error::config("notify.smtp", format!("cannot set up TLS: {e}")))
}

/// What a failed SMTP exchange means for the message. 4xx replies, a server that cannot
/// be reached, a timeout or a dropped connection pass with time; 5xx replies (a refused
/// login, a refused recipient), a certificate that is not trusted and a server that does
/// not offer the protection configured need a person.
fn classify(server: &str, error: &lettre::transport::smtp::Error) -> DeliveryError {
    let detail = describe(error);
    if error.is_permanent() {
        let login = error.status().is_some_and(|code| {
            let code = code.to_string();
            code == "535" || code == "534" || code == "530" || code == "538"
        });
        if login {
            DeliveryError::permanent(format!(
                "the mail server {server} refused the login: {detail}"
            ))
        } else {
            DeliveryError::permanent(format!(
                "the mail server {server} refused the message: {detail}"
            ))
        }
    } else if error.is_transient() {
        DeliveryError::retryable(format!("the mail server {server} deferred the message: {detail}"))
    } else if error.is_tls() || tls_refused(error) {
        DeliveryError::permanent(format!("tls with the mail server {server} failed: {detail}"))
    } else if error.is_client() {
        // lettre's own refusals: above all a server that does not offer STARTTLS when it is
        // required, which must not quietly turn into a plaintext connection.
        DeliveryError::permanent(format!("the mail server {server} cannot be used: {detail}"))
    } else {
        DeliveryError::retryable(format!("cannot reach the mail server {server}: {detail}"))
    }
}

/// Whether the TLS handshake failed (an untrusted or mismatched certificate): rustls's
/// errors reach lettre as I/O errors of kind `InvalidData`, which plain network trouble
/// (refused, reset, timed out) never is.
fn tls_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = error.source();
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(toml_text: &str) -> SmtpConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn plaintext_is_refused_off_this_machine_unless_allowed() {
        let remote = smtp("host = 'mail.soyte.example.vn'\nfrom = 'a@b.vn'\nsecurity = 'none'");
        let e = Mailer::new(&remote, &no_env).err().unwrap().to_string();
        assert!(e.starts_with("notify.smtp.security:"), "{e}");
        let allowed = smtp(
            "host = 'mail.soyte.example.vn'\nfrom = 'a@b.vn'\nsecurity = 'none'\nallow_plaintext = true",
        );
        assert!(Mailer::new(&allowed, &no_env).is_ok());
        let local = smtp("host = '127.0.0.1'\nfrom = 'a@b.vn'\nsecurity = 'none'");
        assert!(Mailer::new(&local, &no_env).is_ok());
    }

    #[test]
    fn credentials_must_come_in_pairs_and_a_named_variable_must_exist() {
        let half = smtp("host = 'h'\nfrom = 'a@b.vn'\nusername = 'u'");
        assert!(Mailer::new(&half, &no_env).err().unwrap().to_string().contains("no password"));
        let env_named =
            smtp("host = 'h'\nfrom = 'a@b.vn'\nusername = 'u'\npassword_env = 'SMTP_PW'");
        let e = Mailer::new(&env_named, &no_env).err().unwrap().to_string();
        assert_eq!(e, "notify.smtp.password_env: the environment variable SMTP_PW is not set");
        let from_env = |name: &str| (name == "SMTP_PW").then(|| "pw".to_owned());
        assert!(Mailer::new(&env_named, &from_env).is_ok());
    }

    #[test]
    fn a_bad_sender_or_root_certificate_is_named() {
        let bad_from = smtp("host = 'h'\nfrom = 'not an address'");
        let e = Mailer::new(&bad_from, &no_env).err().unwrap().to_string();
        assert!(e.starts_with("notify.smtp.from:"), "{e}");
        let missing = smtp("host = 'h'\nfrom = 'a@b.vn'\nroot_certificate = '/nonexistent/ca.pem'");
        let e = Mailer::new(&missing, &no_env).err().unwrap().to_string();
        assert!(
            e.starts_with("notify.smtp.root_certificate: cannot read /nonexistent/ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn composed_messages_are_utf8_with_an_encoded_subject() {
        let raw = compose(
            "Lắng Nghe <canhbao@soyte.example.vn>",
            "can.bo@soyte.example.vn",
            "Cảnh báo P1: tin đồn về vắc-xin sởi",
            "Xem chi tiết: https://langnghe.example.vn/alerts/7",
            Some("<p>Xem <a href=\"https://langnghe.example.vn/alerts/7\">chi tiết</a></p>"),
            "alert-7.p1@langnghe.example.vn",
        )
        .unwrap();
        let text = String::from_utf8(raw).unwrap();
        let subject = text.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(subject.is_ascii() && subject.contains("=?utf-8?"), "{subject}");
        assert!(text.contains("Message-ID: <alert-7.p1@langnghe.example.vn>"), "{text}");
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("Date: "));
        let plain = compose("a@b.vn", "c@d.vn", "Ping", "hello", None, "<x@y>").unwrap();
        let plain = String::from_utf8(plain).unwrap();
        assert!(plain.contains("Content-Type: text/plain; charset=utf-8"), "{plain}");
        assert!(plain.contains("Message-ID: <x@y>"));
        assert!(compose("a@b.vn", "nobody", "s", "t", None, "<x@y>").is_err());
        assert!(compose("a@b.vn", "c@d.vn", "s", "t", None, " ").is_err());
    }
}
