//! E-mail through a real SMTP server (aiosmtpd on 127.0.0.1, see `test_support::smtp`): in the
//! clear to this machine, with STARTTLS under a certificate signed by a CA of the test's
//! own, with implicit TLS, with a login that works and one that does not, against a server
//! that does not offer STARTTLS, and against one that is not there.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::Utc;
use notify::{Channel, Delivery, MemoryTokenStore, Notifier, NotifyConfig, Security, SmtpConfig};
use test_support::smtp::{SmtpOptions, SmtpServer, SmtpTls};

const FROM: &str = "canhbao@soyte.example.vn";
const TO: &str = "can.bo@soyte.example.vn";
const SUBJECT: &str = "Cảnh báo P1: tin đồn \"tiêm vắc-xin sởi gây vô sinh\" lan trên 12 trang";
const LINK: &str = "https://langnghe.soyte.example.vn/alerts/42";

fn smtp(port: u16, security: Security) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security,
        allow_plaintext: false,
        from: format!("Lắng Nghe <{FROM}>"),
        username: None,
        password: None,
        password_env: None,
        root_certificate: None,
        timeout_secs: 10,
        pool_max_size: 2,
        pool_idle_timeout_secs: 60,
    }
}

fn notifier(config: SmtpConfig) -> Notifier {
    let config = NotifyConfig { smtp: Some(config), webhooks: Vec::new(), zalo: None };
    Notifier::new(config, Arc::new(MemoryTokenStore::default())).unwrap()
}

fn message(id: &str) -> Vec<u8> {
    notify::email::compose(
        &format!("Lắng Nghe <{FROM}>"),
        TO,
        SUBJECT,
        &format!("Một tin đồn mới cần xử lý trong 2 giờ.\nXem: {LINK}\n"),
        Some(&format!(
            "<p>Một tin đồn mới cần xử lý trong 2 giờ.</p><p><a href=\"{LINK}\">Xem</a></p>"
        )),
        &format!("{id}@langnghe.soyte.example.vn"),
    )
    .unwrap()
}

async fn send(notifier: &Notifier, id: &str, body: &[u8]) -> Result<(), notify::DeliveryError> {
    let delivery = Delivery { id, channel: Channel::Email, recipient: TO, subject: "alert", body };
    notifier.deliver(&delivery, Utc::now()).await
}

#[tokio::test]
async fn plain_smtp_to_this_machine_delivers_a_vietnamese_message() {
    let Some(server) = SmtpServer::start(&SmtpOptions::default()) else { return };
    let notifier = notifier(smtp(server.port, Security::None));
    send(&notifier, "alert-42", &message("alert-42")).await.unwrap();

    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.mail_from, FROM);
    assert_eq!(mail.rcpt_to, vec![TO.to_owned()]);
    // Python's e-mail package decodes the RFC 2047 subject back to the original.
    assert_eq!(mail.subject, SUBJECT);
    let raw = mail.text();
    let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(subject_line.is_ascii(), "{subject_line}");
    assert!(raw.contains("Message-ID: <alert-42@langnghe.soyte.example.vn>"), "{raw}");
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains(LINK), "{raw}");
    assert!(!mail.tls && mail.login.is_none());
}

#[tokio::test]
async fn messages_share_a_pooled_connection() {
    let Some(server) = SmtpServer::start(&SmtpOptions::default()) else { return };
    let notifier = notifier(smtp(server.port, Security::None));
    for i in 0..3 {
        let id = format!("digest-{i}");
        send(&notifier, &id, &message(&id)).await.unwrap();
        // lettre hands a used connection back to its pool in a task of its own; on this
        // single-threaded runtime, yielding lets that task run before the next send.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
    }
    let mails = server.messages();
    assert_eq!(mails.len(), 3);
    let ports: Vec<u16> = mails.iter().map(|m| m.peer_port).collect();
    assert!(ports.iter().all(|&p| p == ports[0]), "one connection carried all three: {ports:?}");
}

#[tokio::test]
async fn starttls_with_the_office_ca_and_a_login() {
    let options = SmtpOptions {
        tls: SmtpTls::StartTls,
        login: Some(("canhbao".into(), "mật-khẩu đúng".into())),
    };
    let Some(server) = SmtpServer::start(&options) else { return };
    let mut config = smtp(server.port, Security::Starttls);
    config.root_certificate = Some(server.root_certificate().unwrap().to_owned());
    config.username = Some("canhbao".into());
    config.password = Some("mật-khẩu đúng".into());
    let notifier = notifier(config);
    send(&notifier, "alert-1", &message("alert-1")).await.unwrap();
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].tls, "the message travelled over TLS");
    assert_eq!(mails[0].login.as_deref(), Some("canhbao"));
    assert_eq!(mails[0].subject, SUBJECT);
}

#[tokio::test]
async fn a_refused_login_is_not_retried_and_does_not_show_the_password() {
    let options =
        SmtpOptions { tls: SmtpTls::StartTls, login: Some(("canhbao".into(), "đúng".into())) };
    let Some(server) = SmtpServer::start(&options) else { return };
    let mut config = smtp(server.port, Security::Starttls);
    config.root_certificate = Some(server.root_certificate().unwrap().to_owned());
    config.username = Some("canhbao".into());
    config.password = Some("sai-mat-khau-9731".into());
    let notifier = notifier(config);
    let error = send(&notifier, "alert-2", &message("alert-2")).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("refused the login"), "{error}");
    assert!(error.message.contains("535"), "{error}");
    assert!(!error.to_string().contains("sai-mat-khau-9731"));
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let options = SmtpOptions { tls: SmtpTls::StartTls, login: None };
    let Some(server) = SmtpServer::start(&options) else { return };
    // No root_certificate: the test CA is not among the public roots.
    let notifier = notifier(smtp(server.port, Security::Starttls));
    let error = send(&notifier, "alert-3", &message("alert-3")).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.contains("tls"), "{error}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_is_required_when_configured() {
    // A server that does not offer STARTTLS (or an attacker who strips it) gets nothing.
    let Some(server) = SmtpServer::start(&SmtpOptions::default()) else { return };
    let notifier = notifier(smtp(server.port, Security::Starttls));
    let error = send(&notifier, "alert-4", &message("alert-4")).await.unwrap_err();
    assert!(!error.retryable, "{error}");
    assert!(error.message.to_lowercase().contains("starttls"), "{error}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn implicit_tls_with_a_login() {
    let options =
        SmtpOptions { tls: SmtpTls::Implicit, login: Some(("canhbao".into(), "pw".into())) };
    let Some(server) = SmtpServer::start(&options) else { return };
    let mut config = smtp(server.port, Security::Tls);
    config.root_certificate = Some(server.root_certificate().unwrap().to_owned());
    config.username = Some("canhbao".into());
    config.password = Some("pw".into());
    let notifier = notifier(config);
    send(&notifier, "alert-5", &message("alert-5")).await.unwrap();
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].tls);
    assert_eq!(mails[0].login.as_deref(), Some("canhbao"));
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_later() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let notifier = notifier(smtp(port, Security::None));
    let error = send(&notifier, "alert-6", &message("alert-6")).await.unwrap_err();
    assert!(error.retryable, "{error}");
    assert!(error.message.contains("cannot reach the mail server"), "{error}");
}

#[tokio::test]
async fn a_bad_recipient_or_a_missing_channel_is_not_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let notifier = notifier(smtp(port, Security::None));
    let delivery = Delivery {
        id: "x",
        channel: Channel::Email,
        recipient: "không phải địa chỉ",
        subject: "s",
        body: b"Subject: x\r\n\r\nx\r\n",
    };
    let error = notifier.deliver(&delivery, Utc::now()).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("not an e-mail address"), "{error}");

    let nothing =
        Notifier::new(NotifyConfig::default(), Arc::new(MemoryTokenStore::default())).unwrap();
    assert!(nothing.channels().is_empty());
    let error = nothing.deliver(&delivery, Utc::now()).await.unwrap_err();
    assert!(!error.retryable && error.message.contains("[notify.smtp]"), "{error}");
}
