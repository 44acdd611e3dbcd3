//! The command-line interfaces scripts rely on: normalize, rules check and rules match;
//! and the binary run from any directory on the rules built into it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{binary, config_file, langnghe, rules_dir, run, run_ok};

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    config_file(dir, &rules_dir(), "")
}

#[test]
fn normalize_gives_one_line_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let input = "Sốt Xuất Huyết\nVie\u{323}\u{302}t Nam\nÐÀ NẴNG\n";
    for (form, want) in [
        ("display", "Sốt Xuất Huyết\nViệt Nam\nÐÀ NẴNG\n"),
        ("match", "sốt xuất huyết\nviệt nam\nđà nẵng\n"),
        ("fold", "sot xuat huyet\nviet nam\nda nang\n"),
    ] {
        let mut cmd = langnghe(&c);
        cmd.args(["normalize", "--form", form]);
        assert_eq!(run_ok(cmd, input), want, "form {form}");
    }
    let mut cmd = langnghe(&c);
    cmd.args(["normalize", "--form", "nfc"]);
    let out = run(&mut cmd, "x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown form \"nfc\""));
}

#[test]
fn rules_check_passes_on_the_bundled_packs_and_fails_on_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let mut cmd = langnghe(&c);
    cmd.args(["rules", "check"]);
    assert!(run_ok(cmd, "").starts_with("ok: "));

    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("x.toml"), "[[rules]]\nid = \"x\"\nkind = \"rumor\"\ntitle = \"X\"\nseverity = \"high\"\nquery = 'a OR'\nmatch = [\"a\"]\n").unwrap();
    let mut cmd = langnghe(&c);
    cmd.args(["rules", "check", "--rules"]).arg(&bad);
    let out = run(&mut cmd, "");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("x.toml:6:14: rule x: invalid query"), "{text}");
}

#[test]
fn rules_match_reads_json_lines_and_answers_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = langnghe(&config(dir.path()));
    cmd.args(["rules", "match"]);
    let input = concat!(
        r#"{"id":"a","title":"Thần dược chữa khỏi ung thư","body":""}"#,
        "\n",
        r#"{"id":7,"title":"Giá vàng tăng","body":"Thị trường sôi động."}"#,
        "\n",
        "not json\n",
        r#"{"id":"c","title":"","body":"Bé bị sot xuat huyet"}"#,
        "\n",
    );
    let out = run(&mut cmd, input);
    assert_eq!(out.status.code(), Some(1), "a bad line makes the exit status non-zero");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], "a");
    let rumor = lines[0]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"] == "rumor.than-duoc")
        .unwrap();
    assert_eq!(rumor["kind"], "rumor");
    assert_eq!(rumor["matched"][0]["text"], "Thần dược");
    assert_eq!((lines[1]["id"].as_i64(), lines[1]["hits"].as_array().unwrap().len()), (Some(7), 0));
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].as_str().unwrap().contains("invalid JSON"));
    let dengue = lines[3]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule"] == "topic.sot-xuat-huyet")
        .unwrap();
    assert_eq!(dengue["matched"][0]["text"], "sot xuat huyet");
}

#[test]
fn spikes_reads_a_series_and_prints_one_verdict_per_day() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let counts = [150, 130, 122, 160, 155, 128, 144, 125, 300, 319, 289, 277, 500];
    let mut csv = String::from("date,count\n");
    for (i, n) in counts.iter().enumerate() {
        csv.push_str(&format!("2026-01-{:02},{n}\n", i + 1));
    }
    let series = dir.path().join("series.csv");
    std::fs::write(&series, &csv).unwrap();
    let lines = |method: &str| -> Vec<Value> {
        let mut cmd = langnghe(&c);
        cmd.args(["spikes", "--series"]).arg(&series).args(["--method", method, "--json"]);
        run_ok(cmd, "").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let near = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-3;
    // The reference values of epitweetr's method and EARS C1 on this series.
    let rw = lines("ears-t-reweighted");
    assert_eq!(rw.len(), 13);
    assert!(rw[6]["threshold"].is_null() && rw[6]["alert"].is_null(), "{}", rw[6]);
    assert_eq!(rw[7]["date"], "2026-01-08");
    assert!(near(&rw[7]["threshold"], 179.752) && rw[7]["alert"] == false);
    assert!(near(&rw[8]["threshold"], 177.635) && rw[8]["alert"] == true);
    assert!(near(&rw[9]["threshold"], 182.045) && rw[9]["alert"] == true, "{}", rw[9]);
    assert!(near(&rw[12]["threshold"], 458.071) && rw[12]["alert"] == true);
    let c1 = lines("ears-c1");
    assert!(near(&c1[7]["threshold"], 186.728) && near(&c1[7]["expected"], 141.286));
    assert!(near(&c1[12]["threshold"], 500.155) && c1[12]["alert"] == false);
    // A bad row is named by its line, an unknown method by the ones there are.
    std::fs::write(&series, "date,count\n2026-01-01,3\n2026-01-02,many\n").unwrap();
    let mut cmd = langnghe(&c);
    cmd.args(["spikes", "--series"]).arg(&series).args(["--method", "ears-c1"]);
    let out = run(&mut cmd, "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains('3') && err.contains("count"), "{err}");
    let mut cmd = langnghe(&c);
    cmd.args(["spikes", "--series"]).arg(&series).args(["--method", "cusum"]);
    let err = String::from_utf8_lossy(&run(&mut cmd, "").stderr).into_owned();
    assert!(err.contains("ears-t-reweighted"), "{err}");
}

#[test]
fn places_names_the_province_of_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let mut cmd = langnghe(&c);
    cmd.arg("places");
    let out = run_ok(
        cmd,
        "Sở Y tế Bình Dương cảnh báo sốt xuất huyết\nxã Bình Dương, tỉnh Gia Lai\nTrời hôm nay đẹp\n",
    );
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["province"], "79");
    let first = &lines[0]["places"][0];
    let text = "Sở Y tế Bình Dương cảnh báo sốt xuất huyết";
    let (s, e) =
        (first["start"].as_u64().unwrap() as usize, first["end"].as_u64().unwrap() as usize);
    assert_eq!((&text[s..e], first["code"].as_str()), ("Bình Dương", Some("79")));
    assert_eq!(lines[1]["province"], "52");
    assert!(lines[2]["province"].is_null() && lines[2]["places"].as_array().unwrap().is_empty());
}

#[test]
fn stories_lists_who_carried_a_rumour_first_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let text = "Nghe nói uống nước lá đu đủ chữa khỏi sốt xuất huyết, các mẹ ở Cần Thơ chia sẻ ngay cho người thân kẻo muộn, bác sĩ không bao giờ nói cho bạn biết bí mật này đâu";
    let post = |page: &str, n: u32, time: &str| {
        format!(
            r#"{{"platform":"facebook","page":"{page}","url":"https://www.facebook.com/p/{n}","time":"{time}","text":"{text}"}}"#
        )
    };
    // The second page posted first; the file's order does not matter.
    let posts = [
        post("Hội các mẹ", 1, "2026-11-30T09:00:00+07:00"),
        post("Mẹo sống khỏe", 2, "2026-11-30T07:30:00+07:00"),
        post("Tin nhanh", 3, "2026-11-30T11:00:00+07:00"),
    ]
    .join("\n");
    let file = dir.path().join("posts.jsonl");
    std::fs::write(&file, posts).unwrap();
    let mut ingest = langnghe(&c);
    ingest.arg("ingest").arg(&file);
    run_ok(ingest, "");

    let mut cmd = langnghe(&c);
    cmd.args(["stories", "--json", "--since", "2026-11-01"]);
    let out = run_ok(cmd, "");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{out}");
    let story = &lines[0];
    assert_eq!(story["sightings"], 3);
    assert_eq!(story["outlets"], 3);
    assert_eq!(story["province"], "92", "Cần Thơ");
    assert_eq!(story["first_publisher"]["source"], "Facebook: Mẹo sống khỏe");
    let timeline: Vec<&str> = story["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        timeline,
        ["Facebook: Mẹo sống khỏe", "Facebook: Hội các mẹ", "Facebook: Tin nhanh"]
    );
    assert_eq!(story["timeline"][1]["lag_minutes"], 90);

    let mut cmd = langnghe(&c);
    cmd.args(["stories"]);
    let table = run_ok(cmd, "");
    assert!(table.contains("Facebook: Mẹo sống khỏe") && table.contains("3 outlets"), "{table}");

    let mut cmd = langnghe(&c);
    cmd.args(["stories", "--rebuild"]);
    let rebuilt = run_ok(cmd, "");
    assert!(rebuilt.starts_with("placed 1 documents in 1 stories; "), "{rebuilt}");
    assert!(rebuilt.ends_with(" alerts re-keyed, 0 merged\n"), "{rebuilt}");

    for (args, says) in [
        (["stories", "--since", "last tuesday"], "--since \"last tuesday\""),
        (["stories", "--province", "99"], "--province \"99\""),
    ] {
        let mut cmd = langnghe(&c);
        cmd.args(args);
        let out = run(&mut cmd, "");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

/// The binary run in `dir` with no configuration file and no `LANGNGHE_*` variables.
fn bare(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("LANGNGHE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// The rule and claim counts of `rules check`'s summary.
fn counts(summary: &str) -> (usize, usize) {
    let rest = summary.strip_prefix("ok: ").unwrap_or_else(|| panic!("{summary}"));
    let (rules, rest) = rest.split_once(" rules (").unwrap();
    let claims = rest.split_once(' ').unwrap().0;
    (rules.parse().unwrap(), claims.parse().unwrap())
}

#[test]
fn an_empty_directory_runs_on_the_built_in_rules() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();

    let checked = run_ok(bare(home, &["rules", "check"]), "");
    assert!(checked.trim_end().ends_with("checked in the built-in packs"), "{checked}");
    let (rules, claims) = counts(&checked);
    assert!(rules >= 200 && claims >= 150, "{checked}");
    assert_eq!(run_ok(bare(home, &["claims", "list"]), "").lines().count(), claims);

    let line = r#"{"id":1,"title":"Thần dược chữa khỏi ung thư","body":""}"#;
    let matched: Value =
        serde_json::from_str(&run_ok(bare(home, &["rules", "match"]), &format!("{line}\n")))
            .unwrap();
    assert!(matched["hits"].as_array().unwrap().iter().any(|h| h["rule"] == "rumor.than-duoc"));

    // A social post imported, matched by the built-in rules and found by search.
    let post = r#"{"platform":"facebook","page":"Mẹo sống khỏe","url":"https://www.facebook.com/p/1","time":"2026-11-30T07:30:00+07:00","text":"Bị sốt xuất huyết thì uống nước lá đu đủ giã nát là tiểu cầu tăng, không cần vào viện nha mọi người"}"#;
    std::fs::write(home.join("posts.jsonl"), format!("{post}\n")).unwrap();
    let ingested = run_ok(bare(home, &["ingest", "posts.jsonl"]), "");
    assert!(ingested.starts_with("posts.jsonl: 1 posts from 1 page(s), 1 new"), "{ingested}");
    assert!(!ingested.trim_end().ends_with(" 0 rule hits"), "{ingested}");
    let found: Value =
        serde_json::from_str(&run_ok(bare(home, &["search", "\"lá đu đủ\"", "--json"]), ""))
            .unwrap();
    assert_eq!(found["total"], 1, "{found}");

    // Nothing but the data directory was written: no rules directory is needed.
    let mut names: Vec<String> = std::fs::read_dir(home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["data", "posts.jsonl"]);
    assert!(!home.join("data/rules").exists());

    // A directory of the office's own adds its packs to the built-in ones.
    let mine = home.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(
        mine.join("extra.toml"),
        "[[rules]]\nid = \"rumor.la-oi-than-ky\"\nkind = \"rumor\"\ntitle = \"Lá ổi\"\nseverity = \"high\"\nquery = '\"lá ổi\" NEAR/4 \"thần kỳ\"'\nmatch = [\"nước lá ổi thần kỳ\"]\n",
    )
    .unwrap();
    let layered = run_ok(bare(home, &["rules", "check", "--rules", "mine"]), "");
    assert_eq!(counts(&layered), (rules + 1, claims), "{layered}");
    assert!(layered.trim_end().ends_with("in the built-in packs and mine"), "{layered}");
}

#[test]
fn a_configured_rules_dir_that_is_missing_warns_and_runs_on_the_built_in_rules() {
    // A configuration of the releases that read the packs from the working directory.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), "rules_dir = \"rules\"\n").unwrap();
    let mut cmd = bare(dir.path(), &["--config", "c.toml", "rules", "check"]);
    let out = run(&mut cmd, "");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.trim_end().ends_with("checked in the built-in packs"), "{stdout}");
    assert!(stderr.contains("rules_dir does not exist"), "{stderr}");
}
