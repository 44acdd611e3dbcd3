//! Pages posing as health bodies: names as impostors write them (no diacritics, look-alike
//! letters and digits, "Official", "Tư vấn", emoji), names that only mention a body, and
//! the official list that exempts the real pages.

use model::{RuleKind, Severity};
use rules::impersonation::{BUILTIN_PAGES, normalise_url, parse_pages};
use rules::{Impersonation, OfficialPage};

fn matcher() -> Impersonation {
    Impersonation::builtin()
}

/// The body a name imitates, and its slug, for a page at an address of its own.
#[track_caller]
fn poses(name: &str) -> (String, String) {
    let i = matcher()
        .check(name, Some("https://www.facebook.com/profile.php?id=100089000000001"))
        .unwrap_or_else(|| panic!("{name:?} should be taken for an impostor"));
    (i.body, i.slug)
}

#[track_caller]
fn does_not_pose(name: &str) {
    assert_eq!(matcher().imitated(name), None, "{name:?}");
}

#[test]
fn the_ministry_in_every_disguise() {
    for name in [
        "Bo Y Te Viet Nam Official",
        "Bộ Y Tế - Tư vấn sức khỏe",
        "Facebook: Bộ Y tế Việt Nam",
        "BỘ Y TẾ 🇻🇳 Hỗ trợ người dân",
        "Bộ Y Tê",
        "BoYTe.Official",
        "B0 Y T3 VN",
        // Cyrillic В and У, Greek Τ.
        "Вộ У Τế Việt Nam",
        // Mathematical bold, with the marks written apart.
        "𝐁𝐨\u{323}\u{302} 𝐘 𝐓𝐞\u{302}\u{301}",
        // A real impostor's name (Báo Công luận, 21/10/2025).
        "Khóa đào tạo hiểu con tuổi dậy thì - Bộ Y tế",
        "Ministry of Health Vietnam - Tư vấn",
    ] {
        assert_eq!(poses(name), ("Bộ Y tế".to_owned(), "bo-y-te".to_owned()), "{name:?}");
    }
}

#[test]
fn provincial_bodies_are_named_with_their_province() {
    let cases = [
        ("Sở Y Tế Khánh Hòa - Hỗ trợ", "Sở Y tế Khánh Hòa", "so-y-te-khanh-hoa"),
        ("So Y te tinh Khanh Hoa", "Sở Y tế Khánh Hòa", "so-y-te-khanh-hoa"),
        ("SỞ Y TẾ TP.HCM", "Sở Y tế TP.HCM", "so-y-te-tp-hcm"),
        ("Sở Y tế Thành phố Hồ Chí Minh", "Sở Y tế TP.HCM", "so-y-te-tp-hcm"),
        // A province merged in 2025 keeps its name: impostors use the one people know.
        ("Sở Y tế Bình Dương Official", "Sở Y tế Bình Dương", "so-y-te-binh-duong"),
        ("Sở Y tế Tư vấn", "Sở Y tế", "so-y-te"),
        ("CDC Hà Nội Official", "Trung tâm Kiểm soát bệnh tật Hà Nội", "cdc-ha-noi"),
        (
            "Trung tam Kiem soat benh tat tinh Nghe An",
            "Trung tâm Kiểm soát bệnh tật Nghệ An",
            "cdc-nghe-an",
        ),
        ("HCDC - Tư vấn tiêm chủng", "Trung tâm Kiểm soát bệnh tật TP.HCM", "cdc-ho-chi-minh"),
        (
            "Bệnh viện Đa khoa tỉnh Tuyên Quang - Hỗ trợ",
            "Bệnh viện Đa khoa Tuyên Quang",
            "bv-da-khoa-tuyen-quang",
        ),
    ];
    for (name, body, slug) in cases {
        assert_eq!(poses(name), (body.to_owned(), slug.to_owned()), "{name:?}");
    }
}

#[test]
fn hospitals_and_departments() {
    let cases = [
        // Real impostors' names, from the hospitals' warnings (2025).
        ("Khoa Tiêu hóa - Bệnh viện Bạch Mai", "Bệnh viện Bạch Mai"),
        ("Bệnh viện Ung bướu TP Hồ Chí Minh", "Bệnh viện Ung bướu TP.HCM"),
        ("Bệnh viện Bạch Ma1 - Đặt lịch khám", "Bệnh viện Bạch Mai"),
        ("Benh vien Cho Ray 24h", "Bệnh viện Chợ Rẫy"),
        ("BV Nhi Trung Ương - Tư vấn", "Bệnh viện Nhi Trung ương"),
        ("Bệnh viện Bệnh Nhiệt đới Trung ương", "Bệnh viện Bệnh Nhiệt đới Trung ương"),
        ("Cục Quản Lý Dược - Tra cứu thuốc", "Cục Quản lý Dược"),
        ("Cuc An Toan Thuc Pham VN", "Cục An toàn thực phẩm"),
        ("Viện Pasteur Nha Trang", "Viện Pasteur Nha Trang"),
    ];
    for (name, body) in cases {
        assert_eq!(poses(name).0, body, "{name:?}");
    }
}

#[test]
fn names_that_are_someone_elses_do_not_pose() {
    for name in [
        "Hội những người ủng hộ Bộ Y tế",
        "Nhà thuốc gần Bệnh viện Bạch Mai",
        "Phòng trọ đối diện Bệnh viện Chợ Rẫy",
        "Cộng đồng bệnh nhân Bệnh viện K",
        "Cơm bình dân cổng Chợ Rẫy",
        "Mẹ bỉm sữa Hà Nội",
        "Facebook: Nguyễn Văn Bộ",
        // A bare "CDC" is anybody's; a private general hospital names no province.
        "CDC",
        "Bệnh viện Đa khoa Tâm Anh",
        "Y tế Việt Nam 24h",
    ] {
        does_not_pose(name);
    }
}

#[test]
fn the_watch_hit_names_the_body() {
    let i = matcher().check("Bo Y Te Viet Nam Official", None).unwrap();
    let hit = i.hit();
    assert_eq!(
        (&*hit.rule_id, &*hit.rule_title, hit.kind, hit.severity, hit.terms.len()),
        ("watch.mao-danh.bo-y-te", "Trang mạo danh Bộ Y tế", RuleKind::Watch, Severity::High, 0)
    );
}

#[test]
fn official_pages_are_not_flagged() {
    let m = matcher();
    // By URL, however the address is written.
    for url in [
        "https://www.facebook.com/MOHVIETNAM",
        "https://m.facebook.com/mohvietnam/",
        "http://facebook.com/MOHVIETNAM?ref=page_internal",
        "https://web.facebook.com/MOHVIETNAM#posts",
    ] {
        assert_eq!(m.check("Bộ Y tế - Ministry of Health", Some(url)), None, "{url}");
    }
    assert_eq!(m.check("Bộ trưởng Bộ Y tế", Some("https://facebook.com/botruongboyte.vn")), None);
    // The same name under another address poses.
    assert!(
        m.check("Bộ Y tế - Ministry of Health", Some("https://facebook.com/mohvietnam.official"))
            .is_some()
    );
    // Without an address, the exact name is taken at its word; a look-alike of it is not.
    assert_eq!(m.check("Bộ Y tế - Ministry of Health", None), None);
    assert_eq!(m.check("Facebook: Bộ Y tế - Ministry of Health", Some("social:facebook/x")), None);
    assert!(m.check("Bộ Y tế - Ministry of Heaith", None).is_some());
    assert!(m.check("Вộ Y tế - Ministry of Health", None).is_some());
}

#[test]
fn the_office_adds_its_own_pages() {
    let own = OfficialPage {
        name: "Sở Y tế Khánh Hòa".into(),
        url: Some("https://www.facebook.com/soytekhanhhoa".into()),
        platform: None,
        body: None,
        source: None,
    };
    let m = matcher().with_official_pages([own]);
    assert_eq!(m.check("Sở Y tế Khánh Hòa", Some("https://m.facebook.com/soytekhanhhoa/")), None);
    assert!(m.check("Sở Y tế Khánh Hòa", Some("https://facebook.com/soyte.khanhhoa.vn")).is_some());
    assert!(m.official_pages().len() > parse_pages(BUILTIN_PAGES).unwrap().len());
}

#[test]
fn the_built_in_list_is_documented() {
    let pages = parse_pages(BUILTIN_PAGES).unwrap();
    assert!(pages.len() >= 5);
    for p in &pages {
        let url = p.url.as_deref().unwrap_or_else(|| panic!("{} has no url", p.name));
        assert!(normalise_url(url).is_some(), "{url}");
        assert!(p.source.as_deref().is_some_and(|s| s.len() > 20), "{} has no source", p.name);
        assert!(p.body.is_some() && p.platform.is_some(), "{}", p.name);
    }
    // Every official page that names a body is exempt from the body's watch.
    let m = matcher();
    for p in &pages {
        assert_eq!(m.check(&p.name, p.url.as_deref()), None, "{}", p.name);
    }
}
