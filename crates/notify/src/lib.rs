//! Delivery: the one crate that sends anything out of Lắng Nghe — e-mail over SMTP,
//! signed webhooks and Zalo Official Account messages.
//!
//! Nothing here decides *what* to send or *when*: the outbox hands over one message at a
//! time as a [`Delivery`] and [`Notifier::deliver`] either delivers it or says, with a
//! [`DeliveryError`], whether trying again later may help. The clock is a parameter.
//!
//! # Channels
//!
//! - **E-mail** ([`email`]): the delivery's body is a complete RFC 5322 message (the digest
//!   and alert composers build it; [`email::compose`] is there for short notices); it is
//!   sent as it is, with the configured `from` as envelope sender and the recipient as the
//!   only envelope recipient. lettre's async SMTP transport on tokio with rustls:
//!   `security = "starttls"` (port 587; a server that does not offer STARTTLS is refused
//!   rather than used in the clear), `"tls"` (implicit TLS, port 465) or `"none"` (only to
//!   this machine unless `allow_plaintext`); login with a username and a password from the
//!   file or an environment variable; a pool of open connections; an extra root
//!   certificate for an office's own CA.
//! - **Webhooks** ([`webhook`]): the body is the JSON payload; it is posted to the
//!   endpoint named by the recipient and signed at delivery time as Standard Webhooks 1.0
//!   specifies, with every configured secret (key rotation). 2xx is delivered; 408, 429,
//!   5xx and network failures are retried; other answers are not.
//! - **Zalo OA** ([`zalo`]): the body is UTF-8 text, shortened to Zalo's 2,000 characters
//!   at a word boundary keeping a trailing link, sent as a customer-service message to the
//!   Zalo user id in the recipient. Access tokens are refreshed before they expire and
//!   when Zalo refuses one; each new pair is saved through [`ZaloTokenStore`] before use,
//!   because Zalo's refresh tokens work only once.
//!
//! # Errors and logs
//!
//! [`Error`] is a configuration that cannot work, reported by [`Notifier::new`] at
//! start-up with the key at fault. [`DeliveryError`] is one message that was not
//! delivered, with `retryable` telling the outbox whether to try again. Neither, nor any
//! log line, carries a password, a secret, a token or a webhook URL (which often holds a
//! token of its own).

#![warn(missing_docs)]

mod config;
pub mod email;
mod error;
pub mod webhook;
pub mod zalo;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use config::{
    NotifyConfig, Security, SmtpConfig, WebhookEndpoint, ZALO_API_URL, ZALO_OAUTH_URL, ZaloConfig,
};
pub use error::{DeliveryError, Error};
pub use model::Channel;
pub use zalo::{BoxFuture, MemoryTokenStore, ZaloTokenStore, ZaloTokens};

/// One message to deliver, as the outbox holds it.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The outbox's stable id: the webhook's `webhook-id`, the same on every attempt. (An
    /// e-mail's Message-ID is already inside its body.)
    pub id: &'a str,
    /// How it leaves.
    pub channel: Channel,
    /// An e-mail address, a webhook endpoint's `name`, or a Zalo user id.
    pub recipient: &'a str,
    /// A short description for logs; the message itself is the body.
    pub subject: &'a str,
    /// E-mail: the complete RFC 5322 message. Webhook: the JSON payload. Zalo: UTF-8 text.
    pub body: &'a [u8],
}

/// The configured channels, ready to send.
pub struct Notifier {
    mailer: Option<email::Mailer>,
    webhooks: webhook::Webhooks,
    zalo: Option<zalo::Zalo>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").field("channels", &self.channels()).finish_non_exhaustive()
    }
}

impl Notifier {
    /// Checks the configuration (reading the secrets it names from the environment) and
    /// prepares every configured channel. Connections are opened on first use, so this
    /// works outside a runtime and with the servers down.
    pub fn new(
        config: NotifyConfig,
        zalo_tokens: Arc<dyn ZaloTokenStore>,
    ) -> Result<Notifier, Error> {
        Notifier::with_env(config, zalo_tokens, &|name: &str| std::env::var(name).ok())
    }

    pub(crate) fn with_env(
        config: NotifyConfig,
        zalo_tokens: Arc<dyn ZaloTokenStore>,
        env: config::Env<'_>,
    ) -> Result<Notifier, Error> {
        let client = reqwest::Client::builder()
            // A webhook that moved must be reconfigured, not followed to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .user_agent(concat!("langnghe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config("notify", format!("cannot start the http client: {e}")))?;
        let mailer = config.smtp.as_ref().map(|smtp| email::Mailer::new(smtp, env)).transpose()?;
        let webhooks = webhook::Webhooks::new(&config.webhooks, client.clone(), env)?;
        let zalo = config
            .zalo
            .as_ref()
            .map(|zalo| zalo::Zalo::new(zalo, zalo_tokens, client, env))
            .transpose()?;
        Ok(Notifier { mailer, webhooks, zalo })
    }

    /// The channels that are configured.
    pub fn channels(&self) -> Vec<Channel> {
        let mut channels = Vec::new();
        if self.mailer.is_some() {
            channels.push(Channel::Email);
        }
        if self.webhooks.names().next().is_some() {
            channels.push(Channel::Webhook);
        }
        if self.zalo.is_some() {
            channels.push(Channel::Zalo);
        }
        channels
    }

    /// The names of the configured webhook endpoints, sorted.
    pub fn webhook_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.webhooks.names().map(str::to_owned).collect();
        names.sort();
        names
    }

    /// Delivers one message. `now` signs webhooks and decides when Zalo's token is due.
    pub async fn deliver(
        &self,
        msg: &Delivery<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), DeliveryError> {
        let result = match msg.channel {
            Channel::Email => match &self.mailer {
                Some(mailer) => mailer.send_raw(msg.recipient, msg.body).await,
                None => Err(DeliveryError::permanent("e-mail is not configured ([notify.smtp])")),
            },
            Channel::Webhook => self.webhooks.deliver(msg.id, msg.recipient, msg.body, now).await,
            Channel::Zalo => match &self.zalo {
                Some(zalo) => zalo.deliver(msg.recipient, msg.body, now).await,
                None => Err(DeliveryError::permanent("zalo is not configured ([notify.zalo])")),
            },
        };
        match &result {
            Ok(()) => tracing::info!(
                channel = %msg.channel,
                id = msg.id,
                recipient = msg.recipient,
                subject = msg.subject,
                "message delivered"
            ),
            Err(e) => tracing::warn!(
                channel = %msg.channel,
                id = msg.id,
                recipient = msg.recipient,
                retryable = e.retryable,
                error = %e.message,
                "message not delivered"
            ),
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send<T: Send>(_: &T) {}
    fn is_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_notifier_is_shared_between_tasks_and_its_deliveries_can_be_spawned() {
        is_send_sync::<Notifier>();
        let notifier =
            Notifier::new(NotifyConfig::default(), Arc::new(MemoryTokenStore::default())).unwrap();
        let msg =
            Delivery { id: "1", channel: Channel::Zalo, recipient: "1", subject: "s", body: b"x" };
        let delivery = notifier.deliver(&msg, Utc::now());
        is_send(&delivery);
        assert!(notifier.channels().is_empty());
    }
}
