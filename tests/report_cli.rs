//! `langnghe report`: the period report written by the binary from a store filled by
//! `langnghe ingest`, as XLSX, CSV (every table, or one sheet) and HTML, for a half-year by
//! name, a range of days and the configured cut-offs; bad periods and formats are refused.

use crate::support::{config_file, langnghe, rules_dir, run, run_ok};

/// Three pages share a rumour in April 2026 (one document seen three times, which opens its
/// alerts when it is read);
/// a health item follows in July.
fn posts() -> String {
    let rumour = "Nghe nói uống nước lá đu đủ chữa khỏi sốt xuất huyết, các mẹ ở Cần Thơ chia sẻ ngay cho người thân kẻo muộn, bác sĩ không bao giờ nói cho bạn biết bí mật này đâu";
    let later = "Sở Y tế Cần Thơ khuyến cáo người dân diệt lăng quăng, phòng chống sốt xuất huyết trong mùa mưa";
    let post = |page: &str, n: u32, time: &str, text: &str| {
        format!(
            r#"{{"platform":"facebook","page":"{page}","url":"https://www.facebook.com/p/{n}","time":"{time}","text":"{text}"}}"#
        )
    };
    [
        post("Hội các mẹ", 1, "2026-04-10T09:00:00+07:00", rumour),
        post("Mẹo sống khỏe", 2, "2026-04-10T07:30:00+07:00", rumour),
        post("Tin nhanh", 3, "2026-04-10T11:00:00+07:00", rumour),
        post("Tin nhanh", 4, "2026-07-02T08:00:00+07:00", later),
    ]
    .join("\n")
}

/// The value columns (this period, previous period) of an indicator in the summary CSV.
fn summary_value(csv: &str, code: &str) -> (String, String) {
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("{code},")))
        .unwrap_or_else(|| panic!("no {code} in {csv}"));
    // Code, part and name never hold commas here; the unit may, quoted.
    let cells: Vec<&str> = line.rsplitn(4, ',').collect();
    (cells[2].to_owned(), cells[1].to_owned())
}

#[test]
fn report_writes_the_period_as_xlsx_csv_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let c = config_file(dir.path(), &rules_dir(), "[report]\noffice = \"Sở Y tế Cần Thơ\"\n");
    let file = dir.path().join("posts.jsonl");
    std::fs::write(&file, posts()).unwrap();
    let mut ingest = langnghe(&c);
    ingest.arg("ingest").arg(&file);
    run_ok(ingest, "");

    // The workbook, named by the period by default.
    let mut cmd = langnghe(&c);
    cmd.current_dir(dir.path()).args(["report", "--period", "2026-H1"]);
    let said = run_ok(cmd, "");
    assert!(said.starts_with("wrote bao-cao-2026-H1.xlsx ("), "{said}");
    assert!(
        said.contains("6 tháng đầu năm 2026 (01/01/2026 – 15/06/2026), 1 documents, 0 alerts"),
        "{said}"
    );
    let xlsx = std::fs::read(dir.path().join("bao-cao-2026-H1.xlsx")).unwrap();
    assert_eq!(&xlsx[..2], b"PK");

    // The summary alone, on standard output: one document seen on three pages.
    let mut cmd = langnghe(&c);
    cmd.args([
        "report",
        "--period",
        "2026-H1",
        "--format",
        "csv",
        "--sheet",
        "1_TongHop",
        "--out",
        "-",
    ]);
    let csv = run_ok(cmd, "");
    let csv = csv.strip_prefix('\u{feff}').expect("a byte-order mark");
    assert!(
        csv.starts_with("Mã chỉ số,Nhóm,Chỉ số,Đơn vị,Kỳ này,Kỳ trước,Thay đổi (%)\r\n"),
        "{csv}"
    );
    assert_eq!(summary_value(csv, "TB01"), ("1".to_owned(), "0".to_owned()));
    assert_eq!(summary_value(csv, "TB02").0, "3");
    assert_eq!(summary_value(csv, "TB04").0, "3");
    // The alert opened when the posts were read, today: not in the first half.
    assert_eq!(summary_value(csv, "CB01").0, "0");
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive()
        .to_string();
    let mut cmd = langnghe(&c);
    cmd.args(["report", "--from", &today, "--to", &today, "--format", "csv"]);
    cmd.args(["--sheet", "1_TongHop", "--out", "-"]);
    let now = run_ok(cmd, "");
    // One alert per rule or claim the rumour matches, all of them rumours.
    let opened: u32 = summary_value(&now, "CB01").0.parse().unwrap();
    assert!(opened >= 1, "{now}");
    assert_eq!(summary_value(&now, "CB03").0, opened.to_string(), "{now}");
    assert_eq!(summary_value(&now, "TB01").0, "0", "published in April and July");

    // Every table in one CSV file, and the printable page.
    let out = dir.path().join("h1.csv");
    let mut cmd = langnghe(&c);
    cmd.args(["report", "--period", "2026-H1", "--format", "csv", "--out"]).arg(&out);
    run_ok(cmd, "");
    let all = std::fs::read_to_string(&out).unwrap();
    for sheet in
        ["1_TongHop,", "2_TinBai_Thang,", "5_TinDon_TinGia,", "7_HoatDongTT,", "8_DinhNghia,"]
    {
        assert!(all.contains(&format!("\r\n{sheet}")), "{sheet}");
    }
    assert!(all.contains("Đơn vị báo cáo,Sở Y tế Cần Thơ"), "the configured office");
    let out = dir.path().join("h1.html");
    let mut cmd = langnghe(&c);
    cmd.args(["report", "--period", "2026-H1", "--format", "html", "--out"]).arg(&out);
    run_ok(cmd, "");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<svg") && html.contains("<style>")
    );
    assert!(html.contains("Sở Y tế Cần Thơ"));

    // A range of days: July holds the later item only.
    let mut cmd = langnghe(&c);
    cmd.args(["report", "--from", "2026-07-01", "--to", "2026-07-31", "--format", "csv"]);
    cmd.args(["--sheet", "2_TinBai_Thang", "--out", "-"]);
    let july = run_ok(cmd, "");
    assert!(july.contains("\r\nTháng 07/2026,1,1,1\r\n"), "{july}");

    // The cut-offs come from the configuration.
    let other = dir.path().join("cat-30-6");
    std::fs::create_dir(&other).unwrap();
    let c2 = config_file(&other, &rules_dir(), "[report]\nfirst_half_end = \"30/06\"\n");
    let mut cmd = langnghe(&c2);
    cmd.args([
        "report",
        "--period",
        "2026-H2",
        "--format",
        "csv",
        "--sheet",
        "8_DinhNghia",
        "--out",
        "-",
    ]);
    let about = run_ok(cmd, "");
    assert!(about.contains("6 tháng cuối năm 2026 (01/07/2026 – 15/11/2026)"), "{about}");

    // Refusals say what is wrong.
    for (args, says) in [
        (vec!["report", "--period", "2026-H3"], "2026-H3"),
        (vec!["report", "--period", "2026-H1", "--format", "pdf"], "unknown format \"pdf\""),
        (vec!["report", "--from", "2026-07-31", "--to", "2026-07-01"], "ends before it starts"),
        (vec!["report", "--from", "2026-07-01"], "--to"),
        (
            vec!["report", "--period", "2026", "--format", "csv", "--sheet", "9_X", "--out", "-"],
            "no sheet \"9_X\"",
        ),
    ] {
        let mut cmd = langnghe(&c);
        cmd.args(&args);
        let out = run(&mut cmd, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let bad = config_file(&other, &rules_dir(), "[report]\nsecond_half_end = \"31/02\"\n");
    let mut cmd = langnghe(&bad);
    cmd.args(["report"]);
    let out = run(&mut cmd, "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("report:"), "{err}");
}
