//! A real SMTP server for tests: Python's aiosmtpd (the Debian package `python3-aiosmtpd`)
//! listening on a free port of 127.0.0.1 and writing every message it accepts to a
//! directory, in the clear, with STARTTLS or with implicit TLS under a certificate made
//! for the test by the `openssl` command, and with a login when asked.
//!
//! [`SmtpServer::start`] returns `None` after one `SKIPPED:` line when aiosmtpd (or, for
//! TLS, openssl) is not installed, so the caller returns early and a machine without them
//! still passes. The server stops when the value is dropped, and by itself when the test
//! process dies (it exits when its stdin closes).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable that names the Python interpreter to use (one that can import aiosmtpd).
pub const PYTHON_VAR: &str = "LANGNGHE_TEST_PYTHON";

/// How the server protects connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// No TLS at all; STARTTLS is not offered.
    #[default]
    Plain,
    /// STARTTLS offered and required before mail (and before a login).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// What kind of server to start.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// Connection protection.
    pub tls: SmtpTls,
    /// A login (user name, password) that the server requires; any other is refused with
    /// 535.
    pub login: Option<(String, String)>,
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The message exactly as received.
    pub raw: Vec<u8>,
    /// The envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`).
    pub rcpt_to: Vec<String>,
    /// The `Subject` header decoded by Python's `email` package (RFC 2047 undone).
    pub subject: String,
    /// The user that logged in, if any.
    pub login: Option<String>,
    /// Whether the connection was encrypted when the message was sent.
    pub tls: bool,
    /// The client's port: the same port for two messages means one connection carried
    /// both.
    pub peer_port: u16,
}

impl ReceivedMail {
    /// The raw message as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

/// A running server; stopped on drop.
#[derive(Debug)]
pub struct SmtpServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: PathBuf,
    root_certificate: Option<PathBuf>,
}

const SERVER_PY: &str = r#"
import asyncio, os, ssl, sys
from email import message_from_bytes
from email.header import decode_header, make_header
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

mail_dir, mode, user, password, cert, key = sys.argv[1:7]

def esc(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")

class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(mail_dir, "%05d" % self.count)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        message = message_from_bytes(content)
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        meta = ["from\t" + esc(envelope.mail_from or "")]
        meta += ["rcpt\t" + esc(r) for r in envelope.rcpt_tos]
        meta.append("subject\t" + esc(subject))
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            meta.append("login\t" + esc(session.auth_data.login.decode("utf-8")))
        tls = server.transport.get_extra_info("sslcontext") is not None
        meta.append("tls\t" + ("1" if tls else "0"))
        meta.append("peer\t%d" % session.peer[1])
        with open(base + ".eml.tmp", "wb") as f:
            f.write(content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".meta.tmp", "w", encoding="utf-8") as f:
            f.write("\n".join(meta) + "\n")
        os.rename(base + ".meta.tmp", base + ".meta")
        return "250 2.0.0 Message accepted"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode("utf-8")
          and auth_data.password == password.encode("utf-8"))
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

async def main():
    loop = asyncio.get_running_loop()
    context = None
    if mode in ("starttls", "implicit"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    handler = Handler()

    def factory():
        options = dict(hostname="localhost", loop=loop)
        if user:
            # Over implicit TLS the connection is encrypted before SMTP starts, which
            # aiosmtpd's auth_require_tls does not see.
            options.update(authenticator=authenticator, auth_required=True,
                           auth_require_tls=(mode != "implicit"))
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        return SMTP(handler, **options)

    server = await loop.create_server(factory, "127.0.0.1", 0,
                                      ssl=context if mode == "implicit" else None)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()

    def on_stdin():
        if not os.read(0, 4096) and not stop.done():
            stop.set_result(None)

    loop.add_reader(0, on_stdin)
    await stop
    server.close()

asyncio.run(main())
"#;

/// A Python interpreter that can import aiosmtpd: `$LANGNGHE_TEST_PYTHON`, Debian's
/// `/usr/bin/python3` (where `python3-aiosmtpd` installs), or `python3` on the `PATH`.
pub fn python_with_aiosmtpd() -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(python) = std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty()) {
        candidates.push(python.to_string_lossy().into_owned());
    }
    candidates.push("/usr/bin/python3".to_owned());
    candidates.push("python3".to_owned());
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import aiosmtpd.smtp"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn scratch_dir() -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "langnghe-smtp-{}-{}-{nanos}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ))
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A test CA (`ca.pem`) and a server certificate it signed for `localhost` and
/// `127.0.0.1` (`server.pem`, `server.key`), valid for two days. A separate CA, because
/// rustls refuses a CA certificate presented as a server's own.
fn make_certificates(dir: &Path) {
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    let ca = format!("req -x509 {key} -keyout ca.key -out ca.pem -days 2");
    let mut ca: Vec<&str> = ca.split_whitespace().collect();
    ca.extend(["-subj", "/CN=Langnghe Test CA"]);
    openssl(dir, &ca);
    let csr = format!("req {key} -keyout server.key -out server.csr -subj /CN=localhost");
    openssl(dir, &csr.split_whitespace().collect::<Vec<_>>());
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap_or_else(|e| panic!("writing server.ext: {e}"));
    let sign = "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                -out server.pem -days 2 -extfile server.ext";
    openssl(dir, &sign.split_whitespace().collect::<Vec<_>>());
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

impl SmtpServer {
    /// Starts a server, or says `SKIPPED: …` on stderr and returns `None` when aiosmtpd or
    /// (for TLS) openssl is missing. Panics when they are installed but the server does not
    /// start: that is a failure, not a skip.
    // A test that passes without running must say so (see `crate::shared_data`).
    #[allow(clippy::print_stderr, reason = "the one line that tells a skip from a pass")]
    pub fn start(options: &SmtpOptions) -> Option<SmtpServer> {
        let Some(python) = python_with_aiosmtpd() else {
            eprintln!(
                "SKIPPED: no python3 with aiosmtpd (install the Debian package python3-aiosmtpd, or set {PYTHON_VAR})"
            );
            return None;
        };
        let tls = options.tls != SmtpTls::Plain;
        if tls && !openssl_available() {
            eprintln!(
                "SKIPPED: the openssl command is absent (Debian package openssl); it makes the test certificate"
            );
            return None;
        }
        let dir = scratch_dir();
        let mail = dir.join("mail");
        std::fs::create_dir_all(&mail)
            .unwrap_or_else(|e| panic!("creating {}: {e}", mail.display()));
        if tls {
            make_certificates(&dir);
        }
        let script = dir.join("server.py");
        std::fs::write(&script, SERVER_PY).unwrap_or_else(|e| panic!("writing the server: {e}"));
        let mode = match options.tls {
            SmtpTls::Plain => "plain",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Implicit => "implicit",
        };
        let (user, password) = options.login.clone().unwrap_or_default();
        let log = dir.join("server.log");
        let log_file =
            std::fs::File::create(&log).unwrap_or_else(|e| panic!("creating the log: {e}"));
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(&mail)
            .args([mode, user.as_str(), password.as_str()])
            .arg(dir.join("server.pem"))
            .arg(dir.join("server.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {python}: {e}"));
        let port = child.stdout.take().and_then(|out| {
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| line.strip_prefix("PORT ").and_then(|p| p.trim().parse().ok()))
        });
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the aiosmtpd server did not start:\n{said}");
        };
        let root_certificate = tls.then(|| dir.join("ca.pem"));
        Some(SmtpServer { port, child, dir, root_certificate })
    }

    /// The test CA's certificate (PEM) that signed the server's, for TLS servers.
    pub fn root_certificate(&self) -> Option<&Path> {
        self.root_certificate.as_deref()
    }

    /// Where the messages are written (`00001.eml` with `00001.meta` beside it).
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.join("mail")
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut metas: Vec<PathBuf> = std::fs::read_dir(self.mail_dir())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "meta"))
                    .collect()
            })
            .unwrap_or_default();
        metas.sort();
        metas
            .into_iter()
            .map(|meta| {
                let text = std::fs::read_to_string(&meta)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", meta.display()));
                let raw = std::fs::read(meta.with_extension("eml")).unwrap_or_else(|e| {
                    panic!("reading the message beside {}: {e}", meta.display())
                });
                let mut mail = ReceivedMail {
                    raw,
                    mail_from: String::new(),
                    rcpt_to: Vec::new(),
                    subject: String::new(),
                    login: None,
                    tls: false,
                    peer_port: 0,
                };
                for line in text.lines() {
                    let (key, value) = line.split_once('\t').unwrap_or((line, ""));
                    let value = unescape(value);
                    match key {
                        "from" => mail.mail_from = value,
                        "rcpt" => mail.rcpt_to.push(value),
                        "subject" => mail.subject = value,
                        "login" => mail.login = Some(value),
                        "tls" => mail.tls = value == "1",
                        "peer" => mail.peer_port = value.parse().unwrap_or(0),
                        _ => {}
                    }
                }
                mail
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_undo() {
        assert_eq!(unescape(r"a\tb\\n\nc"), "a\tb\\n\nc");
    }
}
