//! The test vectors of wave2-anchors §1.7 and the traps a gazetteer for Vietnamese text
//! falls into: communes named after provinces, personal names, ordinary words, regions,
//! streets, ambiguous abbreviations, old tone placement.

#![allow(clippy::unwrap_used)]

use gazetteer::{Field, Gazetteer, PlaceKind, Places, places_json, places_json_line};

fn places(text: &str) -> Places {
    Gazetteer::embedded().places_in(&vi_text::display(text))
}

fn main(text: &str) -> Option<&'static str> {
    places(text).main_province()
}

/// The distinct codes placed in `text`.
fn codes(text: &str) -> Vec<&'static str> {
    places(text).codes()
}

// §1.7 test vectors.

#[test]
fn so_y_te_binh_duong_is_79_with_historic_74() {
    let found = places("Sở Y tế Bình Dương cảnh báo sốt xuất huyết");
    assert_eq!(found.places.len(), 1);
    let p = &found.places[0];
    assert_eq!((p.code, p.historic, p.kind), ("79", Some("74"), PlaceKind::FormerProvince));
    assert_eq!(p.name, "Thành phố Hồ Chí Minh");
    assert_eq!(p.matched, "Bình Dương");
    assert_eq!(found.main_province(), Some("79"));
}

#[test]
fn commune_binh_duong_in_gia_lai_is_gia_lai() {
    assert_eq!(codes("xã Bình Dương, tỉnh Gia Lai"), ["52"]);
    assert_eq!(main("Xã Bình Dương, tỉnh Gia Lai ghi nhận 4 ca sốt xuất huyết."), Some("52"));
}

#[test]
fn quang_binh_is_44_with_historic_44() {
    let found = places("Quảng Bình ghi nhận ca bạch hầu");
    let p = &found.places[0];
    assert_eq!((p.code, p.historic), ("44", Some("44")));
    assert_eq!(found.main_province(), Some("44"));
}

#[test]
fn commune_quang_binh_in_thanh_hoa_is_38() {
    assert_eq!(codes("xã Quảng Bình (Thanh Hóa)"), ["38"]);
    // The commune name alone is unambiguous: every "xã Quảng Bình" is in Thanh Hóa.
    assert_eq!(codes("Ổ dịch ở xã Quảng Bình"), ["38"]);
}

#[test]
fn ho_chi_minh_city_abbreviations() {
    for text in ["TP.HCM", "TPHCM", "Sài Gòn", "TP HCM", "Tp.HCM", "HCMC", "Saigon", "tphcm"] {
        assert_eq!(main(text), Some("79"), "{text}");
    }
    assert_eq!(main("Bệnh viện Bệnh Nhiệt đới TP. Hồ Chí Minh quá tải"), Some("79"));
    assert_eq!(main("Thành phố Hồ Chí Minh"), Some("79"));
}

#[test]
fn dn_alone_is_no_province() {
    assert!(places("ĐN").places.is_empty());
    assert_eq!(main("Dịch sốt xuất huyết ở ĐN đang tăng."), None);
}

#[test]
fn regions_are_tags_never_provinces() {
    let found = places("các tỉnh ĐBSCL");
    assert!(found.places.is_empty());
    assert_eq!(found.regions.len(), 1);
    assert_eq!(found.regions[0].id, "dbscl");
    assert_eq!(found.main_province(), None);
    for (text, id) in [
        ("Tây Nguyên ghi nhận nhiều ca bạch hầu", "tay-nguyen"),
        ("Đồng bằng sông Cửu Long vào mùa mưa", "dbscl"),
        ("miền Tây mùa nước nổi", "dbscl"),
        ("Các tỉnh Đông Nam Bộ tăng cường phòng dịch", "dong-nam-bo"),
        ("Miền Bắc bước vào đợt rét đậm", "mien-bac"),
        ("mưa lớn ở miền Trung", "mien-trung"),
        ("Bắc Trung Bộ nắng nóng", "bac-trung-bo"),
        ("Duyên hải Nam Trung Bộ", "nam-trung-bo"),
        ("ĐBSH", "dbsh"),
    ] {
        let found = places(text);
        assert!(found.places.is_empty(), "{text}: {:?}", found.places);
        assert_eq!(found.regions.iter().map(|r| r.id).collect::<Vec<_>>(), [id], "{text}");
    }
    // The monsoon is not the region.
    assert!(places("gió mùa Đông Bắc tràn về").is_empty());
}

#[test]
fn tone_placement_does_not_matter() {
    for text in ["Hoà Bình", "Hòa Bình"] {
        let found = places(text);
        let p = &found.places[0];
        assert_eq!((p.code, p.historic), ("25", Some("17")), "{text}");
    }
    assert_eq!(codes("Thanh Hoá"), ["38"]);
    assert_eq!(codes("Khánh Hoà"), ["56"]);
    // Decomposed input (NFD) becomes the same display form.
    let nfd = "Tha\u{300}nh pho\u{302}\u{301} Hue\u{302}\u{301}";
    assert_eq!(main(nfd), Some("46"));
}

#[test]
fn tien_giang_is_82_only() {
    assert_eq!(codes("Tiền Giang ghi nhận ca sốt xuất huyết"), ["82"]);
}

#[test]
fn lao_cai_is_15_not_10() {
    let found = places("Lào Cai");
    assert_eq!((found.places[0].code, found.places[0].historic), ("15", None));
    assert_eq!(main("Yên Bái"), Some("15"));
}

// Communes and wards.

#[test]
fn commune_named_after_a_province_is_not_the_province() {
    // Every "phường Bình Dương" (old Quảng Ninh, new HCMC): no province on its own.
    assert_eq!(codes("phường Bình Dương"), Vec::<&str>::new());
    assert_eq!(codes("phường Bình Dương, TP.HCM"), ["79"]);
    assert_eq!(codes("phường Phú Thọ, TP.HCM"), ["79"]);
    // "phường Long An" exists only in Tây Ninh.
    assert_eq!(codes("phường Long An"), ["80"]);
    // An explicitly named province beats a commune that would resolve elsewhere.
    assert_eq!(codes("phường Bến Thành (Gia Lai)"), ["52"]);
}

#[test]
fn common_commune_names_give_no_province() {
    assert_eq!(main("Người dân xã Tân An được phát thuốc"), None);
    assert_eq!(main("Tân An"), None);
    assert_eq!(main("Phường 1 ra quân diệt muỗi"), None);
    assert_eq!(main("TP Tân An ghi nhận ca sởi"), Some("80"));
    assert_eq!(main("xã Tân An, tỉnh Nghệ An"), Some("40"));
}

#[test]
fn districts_need_a_qualifier_or_a_distinctive_name() {
    assert_eq!(main("huyện Củ Chi"), Some("79"));
    assert_eq!(main("quận 8 có nhiều ca tay chân miệng"), Some("79"));
    assert_eq!(main("Dịch sốt xuất huyết tại Q.8"), Some("79"));
    assert_eq!(main("mấy bà ở q7 có chỗ nào tiêm ngừa"), Some("79"));
    assert_eq!(main("Lợi nhuận Q1/2025 tăng mạnh"), None);
    assert_eq!(main("Lợi nhuận Q3 2024 tăng"), None);
    assert_eq!(main("Huyện Châu Thành phun thuốc diệt muỗi"), None);
    assert_eq!(main("Huyện Châu Thành (Tiền Giang) phun thuốc"), Some("82"));
    assert_eq!(main("quận Tân Phú"), Some("79"));
    assert_eq!(main("huyện Tân Phú"), Some("75"));
    assert_eq!(main("huyện Quảng Ninh"), Some("44"));
    assert_eq!(main("Nha Trang"), Some("56"));
    let found = places("Thủ Dầu Một");
    assert_eq!((found.places[0].code, found.places[0].historic), ("79", Some("74")));
    assert_eq!(found.places[0].kind, PlaceKind::City);
}

// People.

#[test]
fn province_names_that_are_given_names() {
    for text in [
        "anh Thái Bình cho biết",
        "chị Hà Nam đưa con đi khám",
        "ông Quảng Ninh năm nay đã 70 tuổi",
        "Hải Dương (32 tuổi) nhập viện",
        "Hải Dương, 32 tuổi, trú tại xã Tân An",
        "bác sĩ Nguyễn Văn Long An",
        "BS Bình Dương khuyến cáo",
        "PGS.TS Hải Dương cho biết",
        "bệnh nhân Quảng Ninh (45 tuổi)",
        "BN Hà Nam được xuất viện",
        "bé Thái Bình đã hết sốt",
        "ca sĩ Hà Nam",
        "Mr Quảng Ninh",
        "Nguyễn Thái Bình phát biểu",
        "Trần Thị Hà Nam phát biểu",
        "Anh Vinh cho biết",
    ] {
        assert_eq!(main(text), None, "{text}: {:?}", places(text).places);
    }
}

#[test]
fn person_context_does_not_hide_real_places() {
    assert_eq!(main("Nguyễn Thái Bình, 45 tuổi, trú tại Hà Nội"), Some("01"));
    assert_eq!(main("trẻ em Thái Bình được tiêm vắc xin"), Some("33"));
    assert_eq!(main("bà con Hà Nam chủ động diệt muỗi"), Some("37"));
    assert_eq!(main("Sở Y tế Thái Bình ra văn bản"), Some("33"));
    assert_eq!(main("Bệnh nhân Hà Nội (45 tuổi)"), Some("01"));
}

// Ordinary words.

#[test]
fn names_that_are_ordinary_words() {
    assert_eq!(main("Cả thế giới mong muốn hòa bình."), None);
    assert_eq!(main("Mong cho thái bình, mọi người khỏe mạnh."), None);
    assert_eq!(main("Anh Long an toàn trở về."), None);
    assert_eq!(main("long an toan tro ve nha"), None);
    assert_eq!(main("Long An toàn tỉnh có 200 ca"), Some("80"));
    assert_eq!(main("hoa binh lap lai"), None);
    assert_eq!(main("Cơn bão trên biển Thái Bình Dương"), None);
    assert_eq!(main("Hòa Bình: mưa lũ"), Some("25"));
    assert_eq!(main("dich sot xuat huyet o hoa binh"), Some("25"));
}

#[test]
fn abbreviations_that_need_context() {
    assert_eq!(main("HN"), None);
    assert_eq!(main("ở HN dịch sốt xuất huyết tăng"), Some("01"));
    assert_eq!(main("Dân SG ơi cẩn thận"), Some("79"));
    assert_eq!(main("SG"), None);
    assert_eq!(main("ai o sg biet bv nao tot ko"), Some("79"));
    assert_eq!(main("Chủ tịch Hồ Chí Minh"), None);
    assert_eq!(main("tư tưởng Hồ Chí Minh"), None);
    assert_eq!(main("tại Hồ Chí Minh"), Some("79"));
    assert_eq!(main("BR-VT"), Some("79"));
    assert_eq!(main("TT-Huế"), Some("46"));
}

#[test]
fn streets_and_nicknames() {
    assert_eq!(main("Phố Huế, Hà Nội"), Some("01"));
    assert_eq!(main("Xe kẹt trên đường Hà Nội, TP Thủ Đức"), Some("79"));
    assert_eq!(main("đường Hà Nội"), None);
    assert_eq!(main("Thủ đô ghi nhận số ca giảm"), Some("01"));
    assert_eq!(main("Thủ đô Bangkok ngập"), None);
    assert_eq!(main("Nhà hàng bún bò Huế bị xử phạt"), None);
}

#[test]
fn text_typed_without_diacritics() {
    assert_eq!(main("o binh duong dich sxh tang manh qua"), Some("79"));
    assert_eq!(main("ha noi nong qua"), Some("01"));
    assert_eq!(main("Nghe An ghi nhan them 3 ca"), Some("40"));
    // In text written with diacritics a bare syllable is bare on purpose.
    assert_eq!(main("Anh ấy tên là Vinh và làm ở Hà Nội"), Some("01"));
}

// The document level.

#[test]
fn title_mentions_weigh_more() {
    let g = Gazetteer::embedded();
    let found = g.places("Đồng Nai: ngộ độc thực phẩm", "Bệnh nhân ở TP.HCM và Sài Gòn.");
    assert_eq!(found.main_province(), Some("75"));
    assert_eq!(found.places[0].field, Field::Title);
    assert_eq!(found.places[1].field, Field::Body);
}

#[test]
fn ties_go_to_the_first_mention_and_round_ups_to_none() {
    assert_eq!(main("Hà Nội và TP.HCM có nhiều ca nhất"), Some("01"));
    assert_eq!(main("Sốt xuất huyết tăng ở Hà Nội, TP.HCM, Đà Nẵng và Cần Thơ."), None);
    assert_eq!(main("Bệnh viện Chợ Rẫy nhận bệnh nhân từ Bình Phước"), Some("75"));
}

#[test]
fn home_province_is_the_default() {
    let found = places("Sở Y tế khuyến cáo người dân diệt lăng quăng");
    assert_eq!(found.main_province(), None);
    assert_eq!(found.main_province_or(Some("79")), Some("79"));
    // A former code is mapped to the current unit.
    assert_eq!(found.main_province_or(Some("74")), Some("79"));
    assert_eq!(found.main_province_or(Some("99")), None);
    assert_eq!(places("Hà Nội").main_province_or(Some("79")), Some("01"));
}

#[test]
fn json_line_format() {
    assert_eq!(
        places_json_line("TP.HCM"),
        r#"{"places":[{"code":"79","name":"Thành phố Hồ Chí Minh","start":0,"end":6}],"province":"79"}"#
    );
    assert_eq!(
        places_json("TP.HCM"),
        serde_json::json!({"places": [{"code": "79", "name": "Thành phố Hồ Chí Minh", "start": 0, "end": 6}], "province": "79"})
    );
    assert_eq!(places_json_line("không có nơi nào"), r#"{"places":[],"province":null}"#);
    assert_eq!(
        places_json("không có nơi nào"),
        serde_json::json!({"places": [], "province": null})
    );
    // Offsets are into the display form: the entity is decoded first.
    let v = places_json("S&#7903; Y t&#7871; H&agrave; N&#7897;i");
    let display = vi_text::display("S&#7903; Y t&#7871; H&agrave; N&#7897;i");
    let (start, end) =
        (v["places"][0]["start"].as_u64().unwrap(), v["places"][0]["end"].as_u64().unwrap());
    assert_eq!(&display[start as usize..end as usize], "Hà Nội");
}

#[test]
fn spans_point_at_the_display_form() {
    let text = vi_text::display("Dịch ở Bà Rịa - Vũng Tàu và TP.HCM");
    let found = Gazetteer::embedded().places_in(&text);
    for p in &found.places {
        assert_eq!(&text[p.start..p.end], p.matched);
    }
    assert_eq!(found.places[0].matched, "Bà Rịa - Vũng Tàu");
    assert_eq!(found.places[1].matched, "TP.HCM");
}

#[test]
fn units_listing() {
    let units = gazetteer::units();
    assert_eq!(units.len(), 34);
    let hue = gazetteer::unit("46").unwrap();
    assert_eq!((hue.name, hue.short, hue.capital), ("Thành phố Huế", "Huế", "Huế"));
    let lao_cai = gazetteer::unit("15").unwrap();
    assert_eq!((lao_cai.centre, lao_cai.capital), ("Yên Bái", "Yên Bái"));
    assert!(gazetteer::unit("10").is_none());
    assert_eq!(Gazetteer::embedded().current_code("10"), Some("15"));
}

#[test]
fn credits_and_bylines_are_people() {
    assert_eq!(main("Bệnh nhân được cấp cứu kịp thời. Ảnh: Thái Bình"), None);
    assert_eq!(main("Ca bệnh đầu tiên được ghi nhận hôm qua.\nHải Dương"), None);
    assert_eq!(main("Ca bệnh được ghi nhận ở Hà Nội.\nHà Nội"), Some("01"));
}

#[test]
fn lowercase_names_after_a_qualifier_or_an_institution() {
    assert_eq!(main("Người dân tỉnh bình dương được tiêm vắc xin."), Some("79"));
    assert_eq!(main("Cảnh báo của sở y tế thái bình về cúm."), Some("33"));
    assert_eq!(main("Mọi người ở thái bình chú ý."), Some("33"));
    assert_eq!(main("Con đường xã hội hóa y tế."), None);
}
