//! `feeds`: feed parsing throughput, bytes in and plain-text items out, of
//! `feeds::parse_feed` against Python feedparser (run as a subprocess on the same files
//! when it is installed) on the real VnExpress feed, the demo outlets' feeds and generated
//! 50-item Vietnamese RSS and Atom feeds.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{TimeZone, Utc};

/// A feed document as a server would send it.
struct Doc {
    name: String,
    content_type: String,
    url: String,
    bytes: Vec<u8>,
}

fn corpus() -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    let vne = test_support::shared_data("vnexpress-rss-2017/data.xml")
        .context("the feeds suite needs the 2017 VnExpress feed")?;
    docs.push(Doc {
        name: "vnexpress-2017.xml".into(),
        content_type: "application/rss+xml".into(),
        url: "https://vnexpress.net/rss/tin-moi-nhat.rss".into(),
        bytes: std::fs::read(&vne).with_context(|| format!("reading {}", vne.display()))?,
    });
    let outlets = demo::corpus();
    let now = Utc.with_ymd_and_hms(2024, 2, 14, 14, 0, 0).single().context("fixed time")?;
    let base = "http://127.0.0.1:8081";
    for file in demo::render(&outlets, base, now).into_iter().filter(|f| !f.outlet.is_empty()) {
        docs.push(Doc {
            name: format!("demo{}", file.path.replace('/', "-")),
            content_type: file.content_type.into(),
            url: format!("{base}{}", file.path),
            bytes: file.body.into_bytes(),
        });
    }
    let items: Vec<&demo::Item> = outlets.iter().flat_map(|o| &o.items).collect();
    for k in 0..4 {
        docs.push(generated_rss(&items, k));
        docs.push(generated_atom(&items, k));
    }
    Ok(docs)
}

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// A 50-item RSS 2.0 feed as Vietnamese CMSs write them: CDATA descriptions with an image
/// and markup, `content:encoded`, RFC 822 dates in +0700, tracking parameters on links.
fn generated_rss(items: &[&demo::Item], k: usize) -> Doc {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Sức khỏe - Báo Tổng hợp</title>\n<link>https://baotonghop.example.vn/suc-khoe</link>\n<description>Tin sức khỏe mới nhất</description>\n<language>vi</language>\n",
    );
    for i in 0..50 {
        let it = items[(i * 7 + k * 11) % items.len()];
        let day = 1 + (i % 28);
        x.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>https://baotonghop.example.vn/suc-khoe/{}-{k}{i}.html?utm_source=rss&amp;utm_medium=feed</link>\n<guid isPermaLink=\"false\">btg-{k}-{i}</guid>\n<dc:creator>{}</dc:creator>\n<pubDate>Wed, {day:02} Feb 2024 {:02}:{:02}:00 +0700</pubDate>\n<description><![CDATA[<a href=\"https://baotonghop.example.vn/suc-khoe/{}.html\"><img src=\"https://cdn.example.vn/{i}.jpg\" width=\"180\"></a><br/>{}]]></description>\n<content:encoded><![CDATA[{}]]></content:encoded>\n</item>\n",
            esc(&it.title),
            it.slug,
            esc(&it.author),
            i % 24,
            (i * 13) % 60,
            it.slug,
            it.summary,
            it.body.split("\n\n").map(|p| format!("<p>{}</p>", esc(p))).collect::<String>(),
        ));
    }
    x.push_str("</channel>\n</rss>\n");
    Doc {
        name: format!("generated-rss-{k}.xml"),
        content_type: "application/rss+xml; charset=utf-8".into(),
        url: "https://baotonghop.example.vn/rss/suc-khoe.rss".into(),
        bytes: x.into_bytes(),
    }
}

/// A 50-item Atom 1.0 feed with HTML summaries and content.
fn generated_atom(items: &[&demo::Item], k: usize) -> Doc {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n<title>Cổng thông tin Sở Y tế</title>\n<link rel=\"alternate\" href=\"https://soyte.example.gov.vn/\"/>\n<id>tag:soyte.example.gov.vn,2024:feed</id>\n<updated>2024-02-14T21:18:00+07:00</updated>\n",
    );
    for i in 0..50 {
        let it = items[(i * 5 + k * 3) % items.len()];
        let day = 1 + (i % 28);
        x.push_str(&format!(
            "<entry>\n<title type=\"html\">{}</title>\n<link rel=\"alternate\" href=\"/tin-tuc/{}-{k}{i}\"/>\n<id>tag:soyte.example.gov.vn,2024:{k}-{i}</id>\n<published>2024-02-{day:02}T{:02}:{:02}:00+07:00</published>\n<updated>2024-02-{day:02}T{:02}:{:02}:00+07:00</updated>\n<author><name>{}</name></author>\n<summary type=\"html\">{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            esc(&esc(&it.title)),
            it.slug,
            i % 24,
            (i * 13) % 60,
            i % 24,
            (i * 17) % 60,
            esc(&it.author),
            esc(&format!("<p>{}</p>", esc(&it.summary))),
            esc(&it.body.split("\n\n").map(|p| format!("<p>{}</p>", esc(p))).collect::<String>()),
        ));
    }
    x.push_str("</feed>\n");
    Doc {
        name: format!("generated-atom-{k}.xml"),
        content_type: "application/atom+xml".into(),
        url: "https://soyte.example.gov.vn/feed.atom".into(),
        bytes: x.into_bytes(),
    }
}

/// Parses every document repeatedly for at least `min`; returns (bytes/s, feeds/s, items
/// in one pass).
fn ours(docs: &[Doc], min: Duration) -> Result<(f64, f64, usize)> {
    let mut items = 0;
    for d in docs {
        let feed = feeds::parse_feed(&d.bytes, Some(&d.content_type), &d.url)
            .with_context(|| format!("parsing {}", d.name))?;
        items += feed.items.len() + feed.unlinked.len();
    }
    let bytes: usize = docs.iter().map(|d| d.bytes.len()).sum();
    let start = Instant::now();
    let mut rounds = 0usize;
    let mut sink = 0usize;
    while rounds == 0 || start.elapsed() < min {
        for d in docs {
            if let Ok(feed) = feeds::parse_feed(&d.bytes, Some(&d.content_type), &d.url) {
                sink = sink.wrapping_add(
                    feed.items.iter().map(|i| i.title.len() + i.summary.len() + i.body.len()).sum(),
                );
            }
        }
        rounds += 1;
    }
    std::hint::black_box(sink);
    let secs = start.elapsed().as_secs_f64();
    Ok(((bytes * rounds) as f64 / secs, (docs.len() * rounds) as f64 / secs, items))
}

const FEEDPARSER: &str = r#"
import sys, time, json, os
import feedparser
d = sys.argv[1]
docs = []
for name in sorted(os.listdir(d)):
    if name.endswith(".ct"):
        continue
    data = open(os.path.join(d, name), "rb").read()
    ct = open(os.path.join(d, name + ".ct")).read()
    docs.append((data, ct))
items = sum(len(feedparser.parse(data, response_headers={"content-type": ct}).entries) for data, ct in docs)
start = time.perf_counter()
rounds = 0
while True:
    for data, ct in docs:
        feedparser.parse(data, response_headers={"content-type": ct})
    rounds += 1
    if time.perf_counter() - start >= 3.0:
        break
secs = time.perf_counter() - start
total = sum(len(data) for data, _ in docs)
print(json.dumps({"bytes_per_sec": total * rounds / secs, "feeds_per_sec": len(docs) * rounds / secs, "items": items}))
"#;

/// feedparser's (bytes/s, feeds/s, items in one pass), or `None` when it is not installed.
fn feedparser(docs: &[Doc]) -> Result<Option<(f64, f64, usize)>> {
    let dir = tempfile::tempdir()?;
    for (i, d) in docs.iter().enumerate() {
        let path = dir.path().join(format!("{i:03}-{}", d.name));
        std::fs::File::create(&path)?.write_all(&d.bytes)?;
        std::fs::write(path.with_file_name(format!("{i:03}-{}.ct", d.name)), &d.content_type)?;
    }
    let out =
        std::process::Command::new("python3").arg("-c").arg(FEEDPARSER).arg(dir.path()).output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let v: serde_json::Value = serde_json::from_str(text.trim())
                .with_context(|| format!("feedparser printed {text:?}"))?;
            let num = |k: &str| {
                v[k].as_f64().with_context(|| format!("feedparser result lacks {k}: {text}"))
            };
            Ok(Some((num("bytes_per_sec")?, num("feeds_per_sec")?, num("items")? as usize)))
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            note(&format!("feedparser peer skipped: {}", err.lines().last().unwrap_or("")));
            Ok(None)
        }
        Err(e) => {
            note(&format!("feedparser peer skipped: python3: {e}"));
            Ok(None)
        }
    }
}

#[allow(clippy::print_stderr)]
fn note(message: &str) {
    eprintln!("{message} (pip install feedparser to compare)");
}

pub(crate) fn run() -> Result<Vec<serde_json::Value>> {
    let docs = corpus()?;
    let bytes: usize = docs.iter().map(|d| d.bytes.len()).sum();
    let (ours_bps, ours_fps, ours_items) = ours(&docs, Duration::from_secs(3))?;
    let Some((peer_bps, peer_fps, peer_items)) = feedparser(&docs)? else {
        return Ok(Vec::new());
    };
    let extra = |unit: &str| {
        serde_json::json!({
            "feeds": docs.len(),
            "corpus_bytes": bytes,
            "items_ours": ours_items,
            "items_peer": peer_items,
            "unit": unit,
            "peer_name": "feedparser (Python)",
        })
    };
    Ok(vec![
        crate::line("feeds", "parse_mb_per_sec", ours_bps / 1e6, peer_bps / 1e6, extra("MB/s")),
        crate::line("feeds", "parse_feeds_per_sec", ours_fps, peer_fps, extra("feeds/s")),
    ])
}
