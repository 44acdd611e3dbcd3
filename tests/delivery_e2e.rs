//! Delivery end to end: `langnghe serve` with its SMTP server a real aiosmtpd on
//! 127.0.0.1 and a webhook receiver of the test's own, its jobs' clock started just before
//! 07:00 in Vietnam (`LANGNGHE_TEST_CLOCK_START`). Subscriptions are made through the
//! dashboard's form. The scheduled digest arrives once, at 07:00; a P1 alert is notified by
//! e-mail and by a signed webhook as soon as its document is read; then, with the mail
//! server down (a listener that never answers), a second P1 alert's e-mail is written and
//! claimed, `serve` is killed with SIGKILL in the middle of delivering it, the mail server
//! comes back, `serve` restarts, and `langnghe digest --send` sends a digest on demand:
//! every message arrives exactly once (counted by Message-ID and by webhook-id).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use test_support::smtp::{ReceivedMail, SmtpOptions, SmtpServer};
use test_support::{Page, Site};

use crate::support::{Running, eventually, free_port, langnghe, login, run_ok};

/// The webhook's signing secret (`whsec_` and 32 bytes in base64).
const SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

const PACK: &str = r#"
[pack]
title = "Thử: khủng hoảng"

[[rules]]
id = "crisis.ngo-doc-tap-the"
kind = "crisis"
title = "Ngộ độc tập thể"
severity = "critical"
query = '"ngộ độc tập thể"'
match = ["Vụ ngộ độc tập thể tại trường mầm non"]

[[rules]]
id = "crisis.san-phu-tu-vong"
kind = "crisis"
title = "Sản phụ tử vong"
severity = "critical"
query = '"sản phụ" NEAR/8 "tử vong"'
match = ["Sản phụ tử vong sau ca mổ lấy thai"]
"#;

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

/// The first 07:00 in Vietnam that is more than `lead` ahead of `now`, minus `lead`: where
/// the jobs' clock starts.
fn before_seven(now: DateTime<Utc>, lead: chrono::Duration) -> DateTime<Utc> {
    let mut day = now.with_timezone(&vietnam()).date_naive();
    loop {
        let seven = vietnam()
            .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(7, 0, 0).unwrap()))
            .unwrap()
            .with_timezone(&Utc);
        if seven - lead > now + chrono::Duration::seconds(10) {
            return seven - lead;
        }
        day = day.succ_opt().unwrap();
    }
}

/// When the feed's items were published: ten minutes before the test began.
fn published() -> DateTime<Utc> {
    static AT: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();
    *AT.get_or_init(|| Utc::now() - chrono::Duration::minutes(10))
}

/// A feed of `items` (title, text), each with its own link.
fn feed(base: &str, items: &[(&str, &str)]) -> String {
    let entries: String = items
        .iter()
        .enumerate()
        .map(|(i, (title, text))| {
            format!(
                "<item><title>{title}</title><link>{base}/tin/{i}.html</link>\
                 <pubDate>{}</pubDate><description><![CDATA[<p>{text}</p>]]></description></item>",
                published().to_rfc2822()
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>{base}/</link>{entries}</channel></rss>"#
    )
}

const QUIET: (&str, &str) = (
    "Bộ Y tế hướng dẫn phòng bệnh mùa đông cho người cao tuổi",
    "Người cao tuổi nên giữ ấm, tiêm vắc xin cúm và khám sức khỏe định kỳ.",
);
const CRISIS_1: (&str, &str) = (
    "Vụ ngộ độc tập thể tại trường mầm non, 40 trẻ phải cấp cứu",
    "Sau bữa trưa bán trú, nhiều trẻ có biểu hiện nôn, đau bụng và được đưa đi cấp cứu.",
);
const CRISIS_2: (&str, &str) = (
    "Sản phụ tử vong sau ca mổ lấy thai, gia đình đề nghị làm rõ",
    "Gia đình cho biết sản phụ trở nặng vài giờ sau ca mổ và đã tử vong tại bệnh viện huyện.",
);

/// The configuration: the dashboard on `port`, the feed, the mail server on `smtp`, the
/// webhook receiver on `hook`.
fn write_config(dir: &Path, rules: &Path, port: u16, feed: &str, smtp: u16, hook: u16) -> PathBuf {
    let text = format!(
        r#"data_dir = {data:?}
rules_dir = {rules:?}
# The test's pack alone: which alerts open is the test's to say.
builtin_rules = false

[http]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[fetch]
max_interval_secs = 30
host_delay_ms = 0

[digest]
from = "Lắng Nghe <canhbao@soyte.example.vn>"
to = ["lanh-dao@soyte.example.vn"]
send_at = "07:00"

# The jobs' clock runs up to a day ahead of the pipeline's: no deadline mark in this test.
[workflow.deadlines.p1]
acknowledge = "48h"

[notify.smtp]
host = "127.0.0.1"
port = {smtp}
security = "none"
from = "Lắng Nghe <canhbao@soyte.example.vn>"
timeout_secs = 600
pool_idle_timeout_secs = 1

[[notify.webhooks]]
name = "phong-truyen-thong"
url = "http://127.0.0.1:{hook}/langnghe"
secrets = [{SECRET:?}]

[[sources]]
name = "Báo Thử"
url = {feed:?}
tier = "press"
interval_secs = 30
allow_private = true
fetch_articles = "never"
"#,
        data = dir.join("data").display().to_string(),
        rules = rules.display().to_string(),
    );
    let path = dir.join("langnghe.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A webhook receiver on a free port of 127.0.0.1 that answers 204 to everything; the site
/// keeps every request.
fn webhook_receiver() -> Site {
    Site::with_handler(|_| Page::status(204).into())
}

/// A mail server that is down in the worst way: it accepts connections and never says a
/// word, so a delivery hangs with its message claimed.
struct Silent {
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start(port: u16) -> Silent {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let (accepted, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (count, halt) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut open = Vec::new();
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((socket, _)) => {
                        open.push(socket);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Silent { accepted, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn header(mail: &ReceivedMail, name: &str) -> Option<String> {
    let text = mail.text();
    let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_owned())
}

/// How many messages carry each Message-ID.
fn by_message_id(mails: &[ReceivedMail]) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for m in mails {
        let id = header(m, "Message-ID").unwrap_or_else(|| panic!("no Message-ID: {}", m.text()));
        *ids.entry(id).or_default() += 1;
    }
    ids
}

fn count(mails: &[ReceivedMail], subject_start: &str, to: &str) -> usize {
    mails
        .iter()
        .filter(|m| m.subject.starts_with(subject_start) && m.rcpt_to.iter().any(|r| r == to))
        .count()
}

/// The `csrf` field of a page.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a csrf field") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Subscribes through the dashboard's form; the page then lists the subscription.
async fn subscribe(client: &reqwest::Client, base: &str, fields: &[(&str, &str)]) {
    let page = client.get(format!("{base}/notifications")).send().await.unwrap();
    let page = page.text().await.unwrap();
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf_of(&page))];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let res = client.post(format!("{base}/notifications")).form(&form).send().await.unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("Đã thêm đăng ký nhận thông báo."), "{page}");
}

/// The webhooks of type `kind` about rule `rule`, verified against the secret at `now`
/// (the jobs' clock signs them), each with its webhook-id and payload.
fn verified(hooks: &Site, kind: &str, rule: &str, now: DateTime<Utc>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for request in hooks.received() {
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/langnghe"));
        let (headers, body) = (request.headers.as_slice(), &request.body);
        let payload: Value = serde_json::from_slice(body).unwrap();
        if payload["type"] != kind || payload["data"]["rule_id"] != rule {
            continue;
        }
        let tolerance = Duration::from_secs(300);
        notify::webhook::verify(&[SECRET], headers, body, now, tolerance)
            .unwrap_or_else(|e| panic!("{e}: {payload}"));
        // The same delivery with one byte of the body changed does not pass.
        let mut tampered = body.clone();
        let at = tampered.iter().position(|b| *b == b'1').unwrap_or(0);
        tampered[at] = if tampered[at] == b'1' { b'2' } else { b'1' };
        assert_eq!(
            notify::webhook::verify(&[SECRET], headers, &tampered, now, tolerance),
            Err(notify::webhook::VerifyError::NoMatch)
        );
        let id = request.header("webhook-id").unwrap().to_owned();
        out.push((id, payload));
    }
    out
}

/// `serve` with its jobs' clock starting at `clock`.
fn serve(config: &Path, clock: DateTime<Utc>) -> (Running, Instant) {
    let mut cmd = langnghe(config);
    cmd.arg("serve").env("LANGNGHE_TEST_CLOCK_START", clock.to_rfc3339());
    let started = Instant::now();
    (Running::spawn(cmd), started)
}

/// The latest the jobs' clock of a process started at `started` with `clock` can read now.
fn clock_at_most(clock: DateTime<Utc>, started: Instant) -> DateTime<Utc> {
    clock + chrono::Duration::from_std(started.elapsed()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn digests_and_alerts_arrive_once_through_smtp_and_webhooks_across_a_crash() {
    let Some(first_mail) = SmtpServer::start(&SmtpOptions::default()) else { return };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("khung-hoang.toml"), PACK).unwrap();
    let site = demo::FeedServer::start(&[], 0, Utc::now()).await.unwrap();
    let feed_url = format!("{}/tin.xml", site.base_url());
    let rss = "application/rss+xml; charset=utf-8";
    site.put("/tin.xml", rss, feed(&site.base_url(), &[QUIET]));
    let hooks = webhook_receiver();
    let hook_port = hooks.addr().port();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = write_config(dir.path(), &rules, port, &feed_url, first_mail.port, hook_port);

    let mut add = langnghe(&config);
    add.args(["users", "add", "lan", "--role", "officer", "--password-stdin"]);
    run_ok(add, "mat-khau-an-toan\n");
    let mut add = langnghe(&config);
    add.args(["users", "add", "quan", "--role", "admin", "--password-stdin"]);
    run_ok(add, "mat-khau-quan-tri\n");

    // The jobs' clock starts a minute before 07:00 in Vietnam.
    let lead = chrono::Duration::seconds(60);
    let first_clock = before_seven(Utc::now(), lead);
    let seven = first_clock + lead;
    let (mut first, started) = serve(&config, first_clock);
    let http = reqwest::Client::new();
    eventually(Duration::from_secs(60), "the dashboard", || async {
        http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status().is_success())
    })
    .await;

    // Lan subscribes by e-mail (alerts and her daily digest) and the office's webhook
    // receives the alerts too.
    let (lan, status) = login(&base, "lan", "mat-khau-an-toan").await;
    assert!(status.is_success(), "{status}");
    subscribe(
        &lan,
        &base,
        &[
            ("channel", "email"),
            ("target", "lan@soyte.example.vn"),
            ("min_priority", "p3"),
            ("alerts", "1"),
            ("digest", "1"),
            ("enabled", "1"),
        ],
    )
    .await;
    subscribe(
        &lan,
        &base,
        &[
            ("channel", "webhook"),
            ("target", "phong-truyen-thong"),
            ("kinds", "crisis"),
            ("min_priority", "p1"),
            ("alerts", "1"),
            ("enabled", "1"),
        ],
    )
    .await;

    // Subscribed before 07:00 by the jobs' clock (it cannot read later than this bound),
    // and nothing has been sent yet...
    assert!(
        clock_at_most(first_clock, started) < seven,
        "the machine took more than a minute to start serve and subscribe"
    );
    let early = first_mail.messages();
    let subjects: Vec<&String> = early.iter().map(|m| &m.subject).collect();
    assert!(early.is_empty(), "mail before 07:00: {subjects:?}");
    // ... then the digest, once to each reader: Lan's (her queue) and the leadership's.
    let mails = eventually(Duration::from_secs(150), "the 07:00 digests", || async {
        let m = first_mail.messages();
        (count(&m, "Lắng Nghe – Việc xử lý của lan", "lan@soyte.example.vn") == 1
            && count(&m, "Lắng Nghe – Bản tin lãnh đạo", "lanh-dao@soyte.example.vn") == 1)
            .then_some(m)
    })
    .await;
    for digest in mails.iter().filter(|m| m.subject.starts_with("Lắng Nghe – ")) {
        let date = header(digest, "Date").unwrap();
        let date = DateTime::parse_from_rfc2822(&date).unwrap().with_timezone(&Utc);
        assert!(date >= seven && date < seven + chrono::Duration::hours(1), "sent at {date}");
        assert!(digest.text().contains(&base), "links are absolute");
    }

    // A P1 crisis: e-mail and a signed webhook as soon as its document is read.
    site.put("/tin.xml", rss, feed(&site.base_url(), &[QUIET, CRISIS_1]));
    let p1 = "[P1] Khủng hoảng: Ngộ độc tập thể — Lắng Nghe";
    eventually(Duration::from_secs(90), "the P1 alert's e-mail", || async {
        (count(&first_mail.messages(), p1, "lan@soyte.example.vn") == 1).then_some(())
    })
    .await;
    let opened = eventually(Duration::from_secs(30), "the P1 alert's webhook", || async {
        let now = clock_at_most(first_clock, started);
        let got = verified(&hooks, "alert.opened", "crisis.ngo-doc-tap-the", now);
        (!got.is_empty()).then_some(got)
    })
    .await;
    let data = &opened[0].1["data"];
    assert_eq!(data["priority"], "p1");
    assert_eq!(data["title"], "Ngộ độc tập thể");
    let alert = data["alert_id"].as_i64().unwrap();
    assert_eq!(data["dashboard_url"], format!("{base}/alerts/{alert}"));
    let mail = first_mail.messages().into_iter().find(|m| m.subject == p1).unwrap();
    assert!(mail.text().contains(&format!("{base}/alerts/{alert}")), "{}", mail.text());

    // The mail server goes down: it takes connections and never answers.
    let mut delivered = first_mail.messages();
    let smtp_port = first_mail.port;
    drop(first_mail);
    let silent = Silent::start(smtp_port);
    // A second P1 crisis: its e-mail is written, claimed and stuck in delivery; serve dies.
    site.put("/tin.xml", rss, feed(&site.base_url(), &[QUIET, CRISIS_1, CRISIS_2]));
    eventually(Duration::from_secs(120), "a delivery to the silent server", || async {
        (silent.accepted.load(Ordering::Relaxed) > 0).then_some(())
    })
    .await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    drop(silent);

    // The mail server is back (on a port of its own); serve restarts, its clock two hours
    // on, past every lease and claim the dead process held.
    let Some(second_mail) = SmtpServer::start(&SmtpOptions::default()) else { return };
    let config = write_config(dir.path(), &rules, port, &feed_url, second_mail.port, hook_port);
    let second_clock = clock_at_most(first_clock, started) + chrono::Duration::hours(2);
    let (mut second, restarted) = serve(&config, second_clock);
    let p1_second = "[P1] Khủng hoảng: Sản phụ tử vong — Lắng Nghe";
    eventually(Duration::from_secs(120), "the second alert's e-mail after the restart", || async {
        (count(&second_mail.messages(), p1_second, "lan@soyte.example.vn") == 1).then_some(())
    })
    .await;
    let second_hook = eventually(Duration::from_secs(60), "the second alert's webhook", || async {
        let now = clock_at_most(second_clock, restarted);
        let got = verified(&hooks, "alert.opened", "crisis.san-phu-tu-vong", now);
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(second_hook[0].1["data"]["priority"], "p1");

    // `digest --send` sends a digest on demand, at once, beside the running server.
    let mut send = langnghe(&config);
    send.args(["digest", "--send"]);
    let said = run_ok(send, "");
    assert!(said.contains(": 2 sent, 0 to retry, 0 failed"), "{said}");
    let on_demand = second_mail.messages();
    assert_eq!(count(&on_demand, "Lắng Nghe – Việc xử lý của lan", "lan@soyte.example.vn"), 1);
    assert_eq!(count(&on_demand, "Lắng Nghe – Bản tin lãnh đạo", "lanh-dao@soyte.example.vn"), 1);

    // The outbox says everything went out; the admin sees it on the outbox page.
    let (quan, status) = login(&base, "quan", "mat-khau-quan-tri").await;
    assert!(status.is_success());
    let outbox = quan.get(format!("{base}/notifications/outbox")).send().await.unwrap();
    let outbox = outbox.text().await.unwrap();
    assert!(outbox.contains(p1_second) && outbox.contains("Đã gửi"), "{outbox}");
    assert!(!outbox.contains("Gửi thất bại:"), "{outbox}");
    assert!(second.terminate(), "serve stops cleanly");

    // Exactly once: every e-mail by its Message-ID, every webhook by its webhook-id.
    delivered.extend(second_mail.messages());
    let ids = by_message_id(&delivered);
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(count(&delivered, p1, "lan@soyte.example.vn"), 1);
    assert_eq!(count(&delivered, p1_second, "lan@soyte.example.vn"), 1);
    // The 07:00 digest and the one sent on demand, each once.
    assert_eq!(count(&delivered, "Lắng Nghe – Việc xử lý của lan", "lan@soyte.example.vn"), 2);
    assert_eq!(count(&delivered, "Lắng Nghe – Bản tin lãnh đạo", "lanh-dao@soyte.example.vn"), 2);
    let hooks = hooks.received();
    let mut hook_ids: BTreeMap<String, usize> = BTreeMap::new();
    for request in &hooks {
        let id = request.header("webhook-id").unwrap().to_owned();
        *hook_ids.entry(id).or_default() += 1;
    }
    assert!(hook_ids.values().all(|n| *n == 1), "webhooks delivered more than once: {hook_ids:?}");
    assert_eq!(hooks.len(), 2, "one webhook per P1 alert");
}
