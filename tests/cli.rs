//! The command-line interfaces scripts rely on: normalize, rules check and rules match.

use serde_json::Value;

use crate::support::{config_file, langnghe, rules_dir, run, run_ok};

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
    assert_eq!(lines[3]["hits"][0]["rule"], "topic.sot-xuat-huyet");
    assert_eq!(lines[3]["hits"][0]["matched"][0]["text"], "sot xuat huyet");
}
