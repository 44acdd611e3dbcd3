//! `langnghe sources` and `langnghe ingest` as an administrator uses them: sources added,
//! listed, switched off and on, imported from and exported to OPML, and removed; social
//! posts imported from JSON Lines and CSV files whole or not at all; and feeds, pages and
//! sitemaps told apart when they are ingested from a server on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use test_support::{Page, Site};

use crate::support::{config_file, langnghe, run, run_ok};

/// One rule, so that rule hits are predictable whatever the bundled packs say.
const RULES: &str = r#"
[[rules]]
id = "topic.sot-xuat-huyet"
kind = "topic"
title = "Sốt xuất huyết"
severity = "low"
query = '"sot xuat huyet" OR sxh'
match = ["Hà Nội ghi nhận 412 ca sốt xuất huyết"]
"#;

/// A data directory, a rules directory and a configuration file naming both, in `dir`.
fn config(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("topics.toml"), RULES).unwrap();
    config_file(dir, &rules, "builtin_rules = false\n[fetch]\nhost_delay_ms = 0\n")
}

/// Runs the binary with `args`, expecting success; its standard output.
fn ok(config: &Path, args: &[&str]) -> String {
    let mut cmd = langnghe(config);
    cmd.args(args);
    run_ok(cmd, "")
}

/// Runs the binary with `args` and returns whatever happened.
fn cli(config: &Path, args: &[&str]) -> Output {
    let mut cmd = langnghe(config);
    cmd.args(args);
    run(&mut cmd, "")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sources list --json`: one object per source.
fn sources(config: &Path) -> Vec<Value> {
    ok(config, &["sources", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The fields `keys` of a JSON object, to compare with `json!`.
fn pick(object: &Value, keys: &[&str]) -> Value {
    keys.iter()
        .map(|&k| (k.to_owned(), object[k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn source_by_url(config: &Path, url: &str) -> Value {
    let all = sources(config);
    all.iter().find(|s| s["url"] == url).cloned().unwrap_or_else(|| panic!("no {url} in {all:?}"))
}

/// `search --json`: the total and the hits' titles.
fn search(config: &Path, query: &str) -> (u64, Vec<String>) {
    let out: Value = serde_json::from_str(&ok(config, &["search", query, "--json"])).unwrap();
    let titles = out["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_owned())
        .collect();
    (out["total"].as_u64().unwrap(), titles)
}

#[track_caller]
fn assert_fails(out: &Output, code: i32, needles: &[&str]) {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_eq!(out.status.code(), Some(code), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn sources_are_added_listed_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    assert_eq!(ok(&c, &["sources", "list"]), "no sources\n");

    let feed = "https://baothu.vn/rss/suc-khoe.rss";
    let said = ok(
        &c,
        &[
            "sources",
            "add",
            feed,
            "--name",
            "Báo Thử Sức khỏe",
            "--kind",
            "feed",
            "--tier",
            "official",
            "--interval-secs",
            "900",
            "--category",
            "Hà Nội",
        ],
    );
    assert_eq!(said, format!("source 1 added: Báo Thử Sức khỏe (feed, {feed})\n"));
    // Defaults: the URL for a name, the press tier, every ten minutes.
    ok(&c, &["sources", "add", "https://baothu.vn/suc-khoe", "--kind", "html-listing"]);

    let table = ok(&c, &["sources", "list"]);
    for expected in [
        "feed",
        "official",
        "every 900s",
        "Báo Thử Sức khỏe",
        feed,
        "html-listing",
        "https://baothu.vn/suc-khoe",
    ] {
        assert!(table.contains(expected), "{expected:?} not in:\n{table}");
    }
    let list = sources(&c);
    assert_eq!(list.len(), 2, "{list:?}");
    let keys = [
        "id",
        "name",
        "url",
        "kind",
        "tier",
        "interval_secs",
        "category",
        "enabled",
        "origin",
        "polls",
    ];
    assert_eq!(
        pick(&list[0], &keys),
        json!({
            "id": 1, "name": "Báo Thử Sức khỏe", "url": feed, "kind": "feed", "tier": "official",
            "interval_secs": 900, "category": "Hà Nội", "enabled": true, "origin": "cli", "polls": 0,
        })
    );
    assert_eq!(
        pick(&list[1], &keys),
        json!({
            "id": 2, "name": "https://baothu.vn/suc-khoe", "url": "https://baothu.vn/suc-khoe",
            "kind": "html-listing", "tier": "press", "interval_secs": 600, "category": null,
            "enabled": true, "origin": "cli", "polls": 0,
        })
    );

    // The same URL, also when spelled differently, is one source.
    for again in [feed, "https://BAOTHU.vn/rss/suc-khoe.rss"] {
        let out = cli(&c, &["sources", "add", again, "--name", "Lần nữa"]);
        assert_fails(&out, 2, &["a source with the URL", feed, "already exists (source 1)"]);
    }
    let out = cli(&c, &["sources", "add", "baothu.vn/rss"]);
    assert_fails(&out, 2, &["\"baothu.vn/rss\" is not a URL"]);
    let out = cli(&c, &["sources", "add", "ftp://baothu.vn/rss"]);
    assert_fails(&out, 2, &["\"ftp://baothu.vn/rss\" is not an http or https URL"]);
    let out = cli(&c, &["sources", "add", "https://a.vn/rss", "--kind", "rss"]);
    assert_fails(&out, 2, &["--kind: unknown source kind \"rss\"", "feed, html-listing, sitemap"]);
    let out = cli(&c, &["sources", "add", "https://a.vn/rss", "--tier", "tabloid"]);
    assert_fails(&out, 2, &["--tier: unknown source tier \"tabloid\"", "official, press"]);
    let out = cli(&c, &["sources", "add", "https://a.vn/rss", "--interval-secs", "5"]);
    assert_fails(&out, 2, &["--interval-secs must be at least 30"]);
    assert_eq!(sources(&c).len(), 2, "nothing refused was stored");
}

#[test]
fn sources_are_disabled_and_enabled_by_id_or_url() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let (a, b) = ("https://a.vn/rss", "https://b.vn/rss");
    ok(&c, &["sources", "add", a, "--name", "A"]);
    ok(&c, &["sources", "add", b, "--name", "B"]);
    let enabled =
        || -> Vec<bool> { sources(&c).iter().map(|s| s["enabled"].as_bool().unwrap()).collect() };
    assert_eq!(enabled(), [true, true]);

    let said = ok(&c, &["sources", "disable", "1"]);
    assert_eq!(said, "source 1 disabled: A (its documents stay searchable)\n");
    assert_eq!(enabled(), [false, true]);
    ok(&c, &["sources", "disable", b]);
    assert_eq!(enabled(), [false, false]);
    assert_eq!(ok(&c, &["sources", "enable", a]), "source 1 enabled: A\n");
    assert_eq!(enabled(), [true, false]);
    ok(&c, &["sources", "enable", "2"]);
    assert_eq!(enabled(), [true, true]);
    assert!(ok(&c, &["sources", "list"]).lines().filter(|l| l.contains("  on ")).count() == 2);

    assert_fails(&cli(&c, &["sources", "disable", "9"]), 2, &["not found: source 9"]);
    assert_fails(
        &cli(&c, &["sources", "enable", "https://c.vn/rss"]),
        2,
        &["not found", "https://c.vn/rss"],
    );
}

const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Nguồn của phòng truyền thông</title></head><body>
  <outline text="Sức khỏe" title="Sức khỏe">
    <outline type="rss" text="VnExpress Sức khỏe" xmlUrl="https://vnexpress.net/rss/suc-khoe.rss" htmlUrl="https://vnexpress.net/suc-khoe"/>
    <outline type="rss" text="Tuổi Trẻ &amp; Sức khỏe" xmlUrl="https://tuoitre.vn/rss/suc-khoe.rss"/>
  </outline>
  <outline type="rss" text="Bộ Y tế" xmlUrl="https://moh.gov.vn"/>
</body></opml>
"#;

#[test]
fn opml_import_and_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let opml = dir.path().join("nguon.opml");
    std::fs::write(&opml, OPML).unwrap();
    let file = opml.to_str().unwrap();

    let said = ok(&c, &["sources", "import", file, "--tier", "official"]);
    assert_eq!(said, format!("3 source(s) added, 0 already known, 0 skipped, from {file}\n"));
    let list = sources(&c);
    let summary: Vec<(&str, &str, Option<&str>, &str, &str)> = list
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["url"].as_str().unwrap(),
                s["category"].as_str(),
                s["tier"].as_str().unwrap(),
                s["origin"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "VnExpress Sức khỏe",
                "https://vnexpress.net/rss/suc-khoe.rss",
                Some("Sức khỏe"),
                "official",
                "opml"
            ),
            (
                "Tuổi Trẻ & Sức khỏe",
                "https://tuoitre.vn/rss/suc-khoe.rss",
                Some("Sức khỏe"),
                "official",
                "opml"
            ),
            // Stored in the spelling `sources add` uses, so both find the same source.
            ("Bộ Y tế", "https://moh.gov.vn/", None, "official", "opml"),
        ]
    );

    let said = ok(&c, &["sources", "import", file]);
    assert_eq!(said, format!("0 source(s) added, 3 already known, 0 skipped, from {file}\n"));
    assert_eq!(sources(&c).len(), 3, "importing twice adds nothing");
    assert_fails(&cli(&c, &["sources", "add", "https://moh.gov.vn"]), 2, &["already exists"]);

    // Only feeds belong in OPML: a listing page exported there would come back as a feed.
    ok(&c, &["sources", "add", "https://baothu.vn/suc-khoe", "--kind", "html-listing"]);
    let exported = ok(&c, &["sources", "export"]);
    for expected in [
        "xmlUrl=\"https://vnexpress.net/rss/suc-khoe.rss\"",
        "title=\"VnExpress Sức khỏe\"",
        "xmlUrl=\"https://tuoitre.vn/rss/suc-khoe.rss\"",
        "title=\"Tuổi Trẻ &amp; Sức khỏe\"",
        "xmlUrl=\"https://moh.gov.vn/\"",
        "title=\"Bộ Y tế\"",
        "<outline text=\"Sức khỏe\" title=\"Sức khỏe\">",
    ] {
        assert!(exported.contains(expected), "{expected:?} not in:\n{exported}");
    }
    assert!(!exported.contains("baothu.vn"), "{exported}");
    let out_file = dir.path().join("xuat.opml");
    assert_eq!(ok(&c, &["sources", "export", "--out", out_file.to_str().unwrap()]), "");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), exported);

    // The export, imported elsewhere, gives the same sources back.
    let other = tempfile::tempdir().unwrap();
    let c2 = config(other.path());
    let said = ok(&c2, &["sources", "import", out_file.to_str().unwrap(), "--tier", "official"]);
    assert!(said.starts_with("3 source(s) added, 0 already known"), "{said}");
    let key =
        |s: &Value| (s["name"].clone(), s["url"].clone(), s["category"].clone(), s["tier"].clone());
    let feeds: Vec<_> = sources(&c).iter().filter(|s| s["kind"] == "feed").map(key).collect();
    assert_eq!(sources(&c2).iter().map(key).collect::<Vec<_>>(), feeds);

    // Entries that are not web URLs are skipped, said so, and make the status non-zero;
    // the rest of the file is imported.
    let odd = dir.path().join("odd.opml");
    std::fs::write(
        &odd,
        r#"<opml version="2.0"><body>
<outline type="rss" text="Lạ" xmlUrl="javascript:alert(1)"/>
<outline type="rss" text="Dân trí Sức khỏe" xmlUrl="https://dantri.com.vn/rss/suc-khoe.rss"/>
</body></opml>"#,
    )
    .unwrap();
    let out = cli(&c, &["sources", "import", odd.to_str().unwrap()]);
    assert_fails(
        &out,
        1,
        &[
            "skipped \"Lạ\"",
            "\"javascript:alert(1)\" is not an http or https URL",
            "1 source(s) added, 0 already known, 1 skipped",
        ],
    );
    let urls: Vec<Value> = sources(&c).iter().map(|s| s["url"].clone()).collect();
    assert!(urls.contains(&Value::from("https://dantri.com.vn/rss/suc-khoe.rss")), "{urls:?}");
    assert!(!urls.contains(&Value::from("javascript:alert(1)")), "{urls:?}");

    let broken = dir.path().join("broken.opml");
    std::fs::write(&broken, "<html><body>không phải OPML</body></html>").unwrap();
    let out = cli(&c, &["sources", "import", broken.to_str().unwrap()]);
    assert_fails(&out, 2, &["as OPML", "<html>"]);
}

const POSTS_JSONL: &str = r#"{"platform":"facebook","page":"Hội các mẹ bỉm sữa","url":"https://www.facebook.com/groups/mebim/posts/1001","time":"2026-11-30T08:15:00+07:00","text":"Nghe nói uống nước lá đu đủ chữa khỏi sốt xuất huyết, các mẹ đã ai thử chưa?","reactions":"1,2K","shares":35,"comments":"210"}

{"platform":"Zalo","author":"Nguyễn Văn An","url":"https://zalo.me/p/2002","time":"30/11/2026 09:00","text":"Phường tôi phun thuốc diệt lăng quăng sáng nay."}
"#;

const POSTS_CSV: &str = "platform,page,url,time,text,reactions,shares,comments\n\
tiktok,Sức khỏe mỗi ngày,https://www.tiktok.com/@skmn/video/3003,2026-11-29T20:00:00+07:00,\"Bác sĩ chỉ cách phòng bệnh chân tay miệng cho trẻ, \"\"rửa tay\"\" thường xuyên\",5K,120,48\n\
youtube,Kênh Y tế,https://www.youtube.com/watch?v=abc,2026-11-29T21:00:00+07:00,Hướng dẫn đeo khẩu trang đúng cách,,,\n";

#[test]
fn posts_files_are_imported_and_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let jsonl = dir.path().join("posts.jsonl");
    let csv = dir.path().join("posts.csv");
    std::fs::write(&jsonl, POSTS_JSONL).unwrap();
    std::fs::write(&csv, POSTS_CSV).unwrap();
    let (jsonl, csv) = (jsonl.to_str().unwrap(), csv.to_str().unwrap());

    let said = ok(&c, &["ingest", jsonl, csv]);
    assert_eq!(
        said,
        format!(
            "{jsonl}: 2 posts from 2 page(s), 2 new, 0 copies of stored posts, 1 rule hits\n{csv}: 2 posts from 2 page(s), 2 new, 0 copies of stored posts, 0 rule hits\n"
        )
    );
    let (n, titles) = search(&c, "la du du");
    assert_eq!(n, 1);
    assert_eq!(
        titles,
        ["Nghe nói uống nước lá đu đủ chữa khỏi sốt xuất huyết, các mẹ đã ai thử chưa?"]
    );
    // A quoted CSV field keeps its comma and its doubled quotes.
    let (n, titles) = search(&c, "\"rửa tay\"");
    assert_eq!(n, 1);
    assert_eq!(
        titles,
        ["Bác sĩ chỉ cách phòng bệnh chân tay miệng cho trẻ, \"rửa tay\" thường xuyên"]
    );
    assert_eq!(search(&c, "lăng quăng").0, 1);
    assert_eq!(search(&c, "khau trang").0, 1);
    let hit: Value = serde_json::from_str(&ok(&c, &["search", "đu đủ", "--json"])).unwrap();
    assert_eq!(hit["hits"][0]["source"], "Facebook: Hội các mẹ bỉm sữa");
    assert_eq!(hit["hits"][0]["url"], "https://www.facebook.com/groups/mebim/posts/1001");
    assert_eq!(hit["hits"][0]["time"], "2026-11-30T01:15:00+00:00");

    // Each page (or author) is a source of the social tier that is never polled.
    let list = sources(&c);
    let pages: Vec<(&str, &str, &str, bool)> = list
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["kind"].as_str().unwrap(),
                s["tier"].as_str().unwrap(),
                s["enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    for page in [
        "Facebook: Hội các mẹ bỉm sữa",
        "Zalo: Nguyễn Văn An",
        "Tiktok: Sức khỏe mỗi ngày",
        "Youtube: Kênh Y tế",
    ] {
        assert!(pages.contains(&(page, "import", "social", false)), "{page} not in {pages:?}");
    }

    let said = ok(&c, &["ingest", jsonl]);
    assert_eq!(
        said,
        format!("{jsonl}: 2 posts from 2 page(s), 0 new, 0 copies of stored posts, 0 rule hits\n")
    );
    assert_eq!(search(&c, "đu đủ").0, 1, "importing twice stores nothing twice");
}

#[test]
fn a_posts_file_with_one_bad_line_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let good = |n: u32, text: &str| {
        format!(
            r#"{{"platform":"facebook","page":"Tin phường","url":"https://www.facebook.com/tinphuong/posts/{n}","time":"2026-11-30T08:1{n}:00+07:00","text":"{text}"}}"#
        )
    };
    let jsonl = dir.path().join("bad.jsonl");
    std::fs::write(
        &jsonl,
        [
            good(1, "Tiêm vắc xin sởi miễn phí tại trạm y tế phường"),
            good(2, "Phát khẩu trang cho người cao tuổi"),
            r#"{"platform":"facebook","page":"Tin phường","url":"https://www.facebook.com/tinphuong/posts/3","time":"hôm kia","text":"Thứ ba"}"#.to_owned(),
        ]
        .join("\n"),
    )
    .unwrap();
    let file = jsonl.to_str().unwrap();
    let out = cli(&c, &["ingest", file]);
    assert_fails(
        &out,
        1,
        &[
            &format!("{file}:3: time: cannot read \"hôm kia\" as a date and time"),
            &format!("{file}: nothing imported (1 problem(s))"),
        ],
    );
    assert!(!stdout(&out).contains(&format!("{file}:1:")), "{}", stdout(&out));
    assert_eq!(search(&c, "vắc xin sởi").0, 0);
    assert_eq!(search(&c, "khẩu trang").0, 0);
    assert_eq!(sources(&c), Vec::<Value>::new(), "not even the page is stored");

    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "platform,page,url,time,text\n\
         facebook,Tin phường,https://www.facebook.com/tinphuong/posts/11,2026-11-30T08:15:00+07:00,Tiêm vắc xin sởi\n\
         facebook,Tin phường,https://www.facebook.com/tinphuong/posts/12,không rõ,Khẩu trang\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let out = cli(&c, &["ingest", file]);
    assert_fails(
        &out,
        1,
        &[&format!("{file}:3: time: cannot read \"không rõ\""), "nothing imported"],
    );
    assert_eq!(search(&c, "vắc xin sởi").0, 0);

    // A row that cannot be read does not hide the problems of the rows that can: every
    // problem is listed, in line order, with its field.
    std::fs::write(
        &csv,
        "platform,page,url,time,text,shares\n\
         facebook,Tin phường,https://www.facebook.com/tinphuong/posts/21,2026-11-30T08:15:00+07:00,\"Dòng một\nvẫn là bài một\",nhiều\n\
         facebook,Tin phường,https://www.facebook.com/tinphuong/posts/22,2026-11-30T08:15:00+07:00\n\
         zalo,,https://zalo.me/p/23,2026-11-30T08:15:00+07:00,Không rõ trang,\n",
    )
    .unwrap();
    let out = cli(&c, &["ingest", file]);
    assert_fails(
        &out,
        1,
        &[
            &format!("{file}:2: shares: \"nhiều\" is not a count"),
            &format!("{file}:4: CSV error"),
            &format!("{file}:5: page or author"),
            "nothing imported (3 problem(s))",
        ],
    );
    assert_eq!(sources(&c), Vec::<Value>::new());
}

const TEXT: &str = "Sở Y tế Hà Nội cho biết trong tuần ghi nhận 412 ca sốt xuất huyết, tăng 18% so với tuần trước, tập trung ở các quận Hoàng Mai, Đống Đa và Thanh Xuân.</p><p>Ngành y tế đã phun hóa chất diệt muỗi tại 56 ổ dịch và đề nghị người dân loại bỏ dụng cụ chứa nước đọng quanh nhà, ngủ màn kể cả ban ngày.</p><p>Bác sĩ khuyến cáo khi có sốt cao liên tục, đau đầu, chảy máu chân răng cần đến cơ sở y tế ngay, không tự ý truyền dịch tại nhà.";

fn article(title: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title} - Báo Thử</title>
<meta property="article:published_time" content="2026-11-30T08:00:00+07:00"></head>
<body><header><nav><a href="/">Trang chủ</a> <a href="/suc-khoe">Sức khỏe</a></nav></header>
<main><article><h1>{title}</h1><p>{TEXT}</p></article></main><footer>© Báo Thử</footer></body></html>"#
    )
}

/// A site with an RSS feed of two full-text items, two article pages and a sitemap
/// listing one of them. It runs on a thread of its own, so the tests can run the binary
/// synchronously.
fn news_site() -> Site {
    let site = Site::start();
    let item = |n: u32, title: &str| {
        format!(
            "<item><title>{title}</title><link>{}/tin/{n}.html</link><pubDate>Mon, 30 Nov 2026 0{n}:00:00 +0700</pubDate><description><![CDATA[<p>{TEXT}</p>]]></description></item>",
            site.base()
        )
    };
    let rss = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>{}/</link>{}{}</channel></rss>"#,
        site.base(),
        item(1, "Hà Nội ghi nhận 412 ca sốt xuất huyết trong tuần"),
        item(2, "Phun hóa chất diệt muỗi tại 56 ổ dịch"),
    );
    site.put("/rss.xml", Page::ok("application/rss+xml; charset=utf-8", rss.clone()));
    site.put(
        "/khac.xml",
        Page::ok("application/rss+xml; charset=utf-8", rss.replace("/tin/", "/khac/")),
    );
    site.put(
        "/bai/tiem-vac-xin-cum-mua-4790001.html",
        Page::ok("text/html; charset=utf-8", article("Tiêm vắc xin cúm mùa trước mùa đông")),
    );
    site.put(
        "/bai/tre-mac-tay-chan-mieng-4790002.html",
        Page::ok("text/html; charset=utf-8", article("Trẻ mắc tay chân miệng tăng ở phía Nam")),
    );
    let sitemap = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{}/bai/tre-mac-tay-chan-mieng-4790002.html</loc><lastmod>2026-11-30T09:00:00+07:00</lastmod></url></urlset>"#,
        site.base()
    );
    site.put("/sitemap.xml", Page::ok("application/xml", sitemap));
    site
}

#[test]
fn ingest_tells_feeds_pages_and_sitemaps_apart_and_guards_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let site = news_site();
    let feed = site.url("/rss.xml");

    let out = cli(&c, &["ingest", &feed]);
    assert_fails(
        &out,
        1,
        &[&format!("{feed}: failed: refusing"), "127.0.0.1 is a loopback address"],
    );
    assert_eq!(sources(&c), Vec::<Value>::new(), "a refused URL leaves no source");
    assert_eq!(search(&c, "\"412 ca\"").0, 0);

    let said = ok(&c, &["ingest", "--allow-private", &feed]);
    assert_eq!(
        said,
        format!(
            "{feed}: 2 items, 2 new, 0 updated, 0 copies, 0 duplicates, 2 rule hits (0 alerting)\n"
        )
    );
    // Fetched once: the response that told a feed from a page is the one ingested.
    assert_eq!(site.requests("/rss.xml"), 1);
    assert_eq!(search(&c, "\"412 ca\"").0, 2);
    assert_eq!(
        search(&c, "title:\"412 ca\"").1,
        ["Hà Nội ghi nhận 412 ca sốt xuất huyết trong tuần"]
    );
    assert_eq!(
        pick(&source_by_url(&c, &feed), &["kind", "origin", "enabled"]),
        json!({ "kind": "feed", "origin": "ingest", "enabled": false }),
        "a one-off source, never polled on its own"
    );

    let page = site.url("/bai/tiem-vac-xin-cum-mua-4790001.html");
    let said = ok(&c, &["ingest", "--allow-private", &page]);
    assert!(said.starts_with(&format!("{page}: 1 items, 1 new")), "{said}");
    assert_eq!(source_by_url(&c, &page)["kind"], "page");
    assert_eq!(site.requests("/bai/tiem-vac-xin-cum-mua-4790001.html"), 1);
    assert_eq!(search(&c, "vac xin cum").1, ["Tiêm vắc xin cúm mùa trước mùa đông"]);

    let sitemap = site.url("/sitemap.xml");
    let said = ok(&c, &["ingest", "--allow-private", &sitemap]);
    assert!(said.starts_with(&format!("{sitemap}: 1 items, 1 new")), "{said}");
    assert_eq!(source_by_url(&c, &sitemap)["kind"], "sitemap");
    assert_eq!(site.requests("/sitemap.xml"), 1);
    assert_eq!(search(&c, "\"tay chân miệng\"").1, ["Trẻ mắc tay chân miệng tăng ở phía Nam"]);

    let out = cli(&c, &["ingest", "--allow-private", "--kind", "atom", &feed]);
    assert_fails(
        &out,
        2,
        &["--kind: unknown source kind \"atom\"", "feed, html-listing, sitemap, search-feed, page"],
    );
    let out = cli(&c, &["ingest", "--allow-private", "--kind", "import", &feed]);
    assert_fails(&out, 2, &["--kind: import is what files are"]);
    assert_eq!(sources(&c).len(), 3);
}

#[test]
fn ingest_applies_this_runs_kind_and_permission_to_a_known_url() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let site = news_site();
    let feed = site.url("/khac.xml");

    // With --kind nothing is fetched to tell what the URL is, so the refusal comes from the
    // poll and the source stays behind with its error...
    let out = cli(&c, &["ingest", "--kind", "feed", &feed]);
    assert_fails(&out, 1, &["loopback address"]);
    assert_eq!(
        pick(&source_by_url(&c, &feed), &["allow_private", "error_count"]),
        json!({ "allow_private": false, "error_count": 1 })
    );
    // ...which does not stop a later run that allows it.
    let said = ok(&c, &["ingest", "--kind", "feed", "--allow-private", &feed]);
    assert!(said.starts_with(&format!("{feed}: 2 items, 2 new")), "{said}");
    assert_eq!(source_by_url(&c, &feed)["error_count"], 0);

    // A source declared as a listing page is read as one, not as the article page its
    // content looks like; its own permission is enough.
    let listing = site.url("/suc-khoe.html");
    let page = format!(
        r#"<!DOCTYPE html><html><body><h1>Sức khỏe</h1><ul><li><h3><a href="{0}/bai/tiem-vac-xin-cum-mua-4790001.html">Tiêm vắc xin cúm mùa trước mùa đông</a></h3></li><li><h3><a href="{0}/bai/tre-mac-tay-chan-mieng-4790002.html">Trẻ mắc tay chân miệng tăng ở phía Nam</a></h3></li></ul></body></html>"#,
        site.base()
    );
    site.put("/suc-khoe.html", Page::ok("text/html; charset=utf-8", page));
    ok(&c, &["sources", "add", &listing, "--kind", "html-listing", "--allow-private"]);
    let said = ok(&c, &["ingest", &listing]);
    assert!(said.contains(": 2 items, 2 new"), "{said}");
    assert_eq!(source_by_url(&c, &listing)["kind"], "html-listing");
    assert_eq!(search(&c, "vac xin cum").0, 1);
    assert_eq!(search(&c, "\"tay chân miệng\"").0, 1);
}

#[test]
fn sources_are_removed_with_their_documents_only_when_purged() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let posts = dir.path().join("posts.jsonl");
    std::fs::write(&posts, POSTS_JSONL).unwrap();
    ok(&c, &["ingest", posts.to_str().unwrap()]);
    let id = |name: &str| -> String {
        sources(&c).iter().find(|s| s["name"] == name).unwrap()["id"].to_string()
    };
    let facebook = id("Facebook: Hội các mẹ bỉm sữa");

    // A source with documents is kept unless its documents go with it.
    let out = cli(&c, &["sources", "remove", &facebook]);
    assert_fails(
        &out,
        2,
        &[&format!("source {facebook} has documents"), "--purge", "sources disable"],
    );
    assert_eq!(sources(&c).len(), 2);
    assert_eq!(search(&c, "đu đủ").0, 1);

    let said = ok(&c, &["sources", "remove", &facebook, "--purge"]);
    assert_eq!(said, format!("source {facebook} removed with 1 document(s)\n"));
    let names: Vec<Value> = sources(&c).iter().map(|s| s["name"].clone()).collect();
    assert_eq!(names, [Value::from("Zalo: Nguyễn Văn An")]);
    assert_eq!(search(&c, "đu đủ").0, 0, "purged documents leave the index");
    assert_eq!(search(&c, "sot xuat huyet").0, 0);
    assert_eq!(search(&c, "lăng quăng").0, 1, "the other page's post stays");

    // A source without documents goes without --purge, by URL too.
    ok(&c, &["sources", "add", "https://baothu.vn/rss", "--name", "Báo Thử"]);
    let said = ok(&c, &["sources", "remove", "https://baothu.vn/rss"]);
    assert!(said.ends_with("removed with 0 document(s)\n"), "{said}");
    assert_fails(&cli(&c, &["sources", "remove", "https://baothu.vn/rss"]), 2, &["not found"]);
    assert_eq!(sources(&c).len(), 1);
}
