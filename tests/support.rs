//! Running the binary: building it, starting and stopping it, talking to it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `langnghe` binary, built once per test run with the same profile as the tests.
pub(crate) fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "app", "--bin", "langnghe"])
            .current_dir(workspace())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building langnghe failed");
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe.parent().and_then(Path::parent).expect("target profile directory");
        let bin = dir.join("langnghe");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

pub(crate) fn rules_dir() -> PathBuf {
    workspace().join("rules")
}

/// A configuration file `dir/c.toml` with its data in `dir/data`, the rule packs of
/// `rules`, and `more` TOML after those keys.
pub(crate) fn config_file(dir: &Path, rules: &Path, more: &str) -> PathBuf {
    let path = dir.join("c.toml");
    let text = format!(
        "data_dir = {:?}\nrules_dir = {:?}\n{more}",
        dir.join("data").display().to_string(),
        rules.display().to_string()
    );
    std::fs::write(&path, text).expect("write the configuration");
    path
}

/// A configuration file `dir/c.toml` for `langnghe demo`: its data in `dir/demo` (the
/// directory to pass as `--data-dir`, so that other commands with this file see the demo's
/// data) and the workspace's rule packs. Returns the file and the data directory.
pub(crate) fn demo_config(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("demo");
    let path = dir.join("c.toml");
    let text = format!(
        "data_dir = {:?}\nrules_dir = {:?}\n",
        data.display().to_string(),
        rules_dir().display().to_string()
    );
    std::fs::write(&path, text).expect("write the configuration");
    (path, data)
}

/// `langnghe demo` running on a free port with [`demo_config`] in `dir`, started (its banner
/// printed, its user made), with an API token of that user.
pub(crate) struct Demo {
    pub(crate) running: Running,
    pub(crate) base: String,
    pub(crate) token: String,
}

/// Starts `langnghe demo` in `dir` and waits for its banner ("Alerts appear …"), which it
/// prints once its user exists; then makes a token for that user.
pub(crate) async fn start_demo(dir: &Path) -> Demo {
    use std::io::{BufRead, BufReader};
    let (config, data) = demo_config(dir);
    let port = free_port();
    let mut cmd = langnghe(&config);
    cmd.args(["demo", "--port", &port.to_string(), "--data-dir"]).arg(&data);
    let mut running = Running::spawn(cmd);
    let stdout = running.child.stdout.take().expect("the demo's stdout is piped");
    tokio::task::spawn_blocking(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("Alerts appear") {
                break;
            }
        }
    })
    .await
    .expect("read the demo's banner");
    let mut tok = langnghe(&config);
    tok.args(["users", "token", "demo", "--label", "e2e"]);
    let token = run_ok(tok, "").trim().to_owned();
    Demo { running, base: format!("http://127.0.0.1:{port}"), token }
}

/// A configuration serving the dashboard on `port` with the outlets of `server` as sources
/// (polled every 30 s), its data in `dir/data`, the rule packs of `rules`, and `more`
/// TOML after those keys (`[http]` and `[fetch]` are open at that point, `[fetch]` last).
pub(crate) fn serve_config(
    dir: &Path,
    rules: &Path,
    port: u16,
    server: &demo::FeedServer,
    http: &str,
) -> PathBuf {
    let mut text = format!(
        "data_dir = {:?}\nrules_dir = {:?}\n[http]\nlisten = \"127.0.0.1:{port}\"\n{http}[fetch]\nmax_interval_secs = 30\n",
        dir.join("data").display().to_string(),
        rules.display().to_string()
    );
    for (name, url, tier) in server.feeds() {
        text.push_str(&format!(
            "[[sources]]\nname = {name:?}\nurl = {url:?}\ntier = {tier:?}\ninterval_secs = 30\nallow_private = true\n"
        ));
    }
    let path = dir.join("langnghe.toml");
    std::fs::write(&path, text).expect("write the configuration");
    path
}

/// A command for the binary with a clean environment for configuration.
pub(crate) fn langnghe(config: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("--config").arg(config);
    for (k, _) in std::env::vars() {
        if k.starts_with("LANGNGHE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Runs a command to completion with `stdin`, asserting success.
pub(crate) fn run_ok(mut cmd: Command, stdin: &str) -> String {
    let out = run(&mut cmd, stdin);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub(crate) fn run(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// A free TCP port on loopback.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child process that is stopped with SIGTERM when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
}

impl Running {
    pub(crate) fn spawn(mut cmd: Command) -> Running {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn langnghe");
        Running { child }
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully.
    pub(crate) fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        false
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
        }
    }
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub(crate) async fn eventually<T, F, Fut>(timeout: Duration, what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    within(timeout, check).await.unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// Polls `check` until it returns `Some` or `timeout` passes (then `None`), for a caller
/// that explains a timeout with what it saw.
pub(crate) async fn within<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Logs in through the login form; returns a client holding the session cookie.
pub(crate) async fn login(
    base: &str,
    name: &str,
    password: &str,
) -> (reqwest::Client, reqwest::StatusCode) {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("body");
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("csrf field") + marker.len();
    let csrf = &page[start..start + page[start..].find('"').expect("end of csrf")];
    let res = client
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf), ("next", "/"), ("name", name), ("password", password)])
        .send()
        .await
        .expect("POST /login");
    (client, res.status())
}

/// A number from the Prometheus text at `/metrics`.
pub(crate) async fn metric(base: &str, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics")).await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}
