//! Rumours as people type them on social pages, for the demo's first minute: a post typed
//! without diacritics, one in teencode, the health department's debunk of the first, and a
//! new rumour that no rule or claim knows, which only its form gives away.
//!
//! Why each is written the way it is:
//! - The two rumours are about claims of the shipped library (`rules/claims`), and keep the
//!   claim's words typed bare ("thuy dau", "kieng nuoc", "la du du") beside abbreviations
//!   the engine does not expand ("sxh" is in the claim's query, "nc" and "k" are not
//!   needed), so accent-tolerant matching alone is what catches them.
//! - Neither spells out "sốt xuất huyết" bare: a search for it must find exactly the
//!   documents that write it (the pipeline's demo test counts them).
//! - The papaya-leaf claim already has its own story (the rumour on four outlets, which must
//!   hold nothing else), so the debunked rumour is another claim: chickenpox and "kiêng
//!   nước, kiêng gió" (measles would be a fifth vaccination story on the spike day, enough
//!   for a spike of its own). The debunk quotes the post word for word as typed, the way a
//!   statement names what it corrects; that quotation is what places it in the post's story
//!   (the clusterer compares syllables with their tones), so its refutation shows on the
//!   post's alert. It quotes a sentence, not the post: a near-copy would count as a
//!   sighting.
//! - The new rumour asks to be shared, claims inside knowledge and an unnamed top doctor,
//!   shouts, and gives a short link and a phone number, about a harm nobody has claimed
//!   before; its call to share stands more than a clause away from any health word, so the
//!   chain-message rule, which wants both together, stays silent and the suspicion signal
//!   is the only thing that raises it.
//!
//! The times are a few hours before the feeds are rendered, after the rumour each one
//! answers, so all four are on the board as soon as the demo has fetched its feeds.

use crate::{Item, Outlet};

/// The official outlet that publishes the debunk: the demo's health department portal.
pub const DEBUNK_OUTLET: &str = "so-y-te-binh-an";

/// What a planted item is, and so what the pipeline should make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A rumour typed without diacritics: an alert for its claim.
    NoDiacritics,
    /// A rumour in teencode: an alert for its claim.
    Teencode,
    /// The health department refuting the rumour typed without diacritics: stored with the
    /// stance `refutes`, shown on that rumour's alert, no alert of its own.
    Debunk,
    /// A rumour no rule or claim knows: only a low-severity suspicion.
    Suspicious,
}

/// One planted item: where it is published and the claim it is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    /// What it is.
    pub role: Role,
    /// The slug of its outlet.
    pub outlet: &'static str,
    /// Its slug.
    pub item: &'static str,
    /// The id of the claim (`rules/claims`) it carries or refutes; none for the new rumour.
    pub claim: Option<&'static str>,
}

/// The rumour typed without diacritics.
pub const NO_DIACRITICS: Planted = Planted {
    role: Role::NoDiacritics,
    outlet: "nuoi-con-khoe",
    item: "be-bi-thuy-dau-kieng-nuoc-kieng-gio",
    claim: Some("claim.remedy.thuy-dau-kieng-nuoc-kieng-gio"),
};

/// The rumour in teencode.
pub const TEENCODE: Planted = Planted {
    role: Role::Teencode,
    outlet: "ae-xom-tro",
    item: "uong-nc-la-du-du-khoi-sxh",
    claim: Some("claim.remedy.la-du-du-sot-xuat-huyet"),
};

/// The health department's debunk of [`NO_DIACRITICS`].
pub const DEBUNK: Planted = Planted {
    role: Role::Debunk,
    outlet: DEBUNK_OUTLET,
    item: "thuy-dau-khong-phai-kieng-nuoc-kieng-gio",
    claim: NO_DIACRITICS.claim,
};

/// The rumour only the suspicion signal catches.
pub const SUSPICIOUS: Planted = Planted {
    role: Role::Suspicious,
    outlet: "tin-nong-moi-gio",
    item: "may-loc-khong-khi-qua-dem",
    claim: None,
};

/// Every planted item.
pub const PLANTED: [Planted; 4] = [NO_DIACRITICS, TEENCODE, DEBUNK, SUSPICIOUS];

/// The sentence of [`NO_DIACRITICS`] that the debunk quotes, as it was typed.
pub const QUOTED: &str = "Be bi thuy dau phai kieng nuoc kieng gio tuyet doi, khong tam, o trong phong kin cho not moc het ra ngoai";

/// A social page: slug, name, feed format, who posts, and its posts (slug, hours ago, title,
/// summary, body). Each also posts something harmless: pages that only ever post rumours do
/// not exist.
type Page = (&'static str, &'static str, &'static str, &'static str, [Post; 2]);
type Post = (&'static str, i64, &'static str, &'static str, &'static str);

const PAGES: [Page; 3] = [
    (
        NO_DIACRITICS.outlet,
        "Nhóm Nuôi Con Khỏe",
        "rss",
        "Thành viên nhóm",
        [
            (
                NO_DIACRITICS.item,
                3,
                "Be bi thuy dau phai kieng nuoc kieng gio tuyet doi nha cac me",
                "Be bi thuy dau phai kieng nuoc kieng gio tuyet doi, khong tam, o trong phong kin cho not moc het ra ngoai. Dinh nuoc la not lan ra khap nguoi, de lai seo xau lam.",
                "Nha minh 2 dua deu bi thuy dau, ba noi bat kieng nuoc kieng gio tron 10 ngay, dong kin cua khong cho ra khoi phong, gio dua nao cung het not ma khong de seo. Cac me co con nho luu lai, chia se cho cac me khac cung biet nha.",
            ),
            (
                "an-dam-7-thang",
                26,
                "Thực đơn ăn dặm cho bé 7 tháng, mẹ nào cần thì lưu lại",
                "Cháo bí đỏ, cháo cá hồi rau ngót, cháo thịt bò cà rốt: mỗi món nấu một nồi nhỏ đủ hai bữa.",
                "Bé mới tập ăn nên nấu loãng, xay mịn, tăng độ đặc dần qua từng tuần. Mỗi món mới cho bé ăn thử ba ngày rồi mới đổi món khác.",
            ),
        ],
    ),
    (
        TEENCODE.outlet,
        "Hội Ae Xóm Trọ Sài Gòn",
        "atom",
        "Thành viên nhóm",
        [
            (
                TEENCODE.item,
                2,
                "ae oi uong nc la du du la khoi sxh nha",
                "ae oi uong nc la du du la khoi sxh nha, k can di vien dau",
                "hom trc thang em t bi sxh, tieu cau tut con 60, ba ngoai gia la du du vat lay nc cho uong 3 ngay la tieu cau len vu vu, k can truyen j het. ae nao co ng nha bi thi thu lien nha, ko ton 1 dong nao",
            ),
            (
                "pass-phong-tro",
                18,
                "can pass lai phong tro gan cho Ba Chieu",
                "phong co gac, cua so thoang, gio giac tu do, de xe mien phi.",
                "t chuyen cong ty nen can pass lai tu thang sau, gia 3tr2 bao nuoc, ae nao can thi ib t nha, uu tien nguoi o lau dai.",
            ),
        ],
    ),
    (
        SUSPICIOUS.outlet,
        "Tin Nóng Mỗi Giờ",
        "json",
        "Quản trị viên",
        [
            (
                SUSPICIOUS.item,
                1,
                "KHẨN: TIN NỘI BỘ TỪ KHOA NHI, ĐỪNG BẬT MÁY LỌC KHÔNG KHÍ QUA ĐÊM",
                "Bác sĩ đầu ngành tiết lộ máy lọc không khí bật suốt đêm sinh ra khí ion độc, phổi trẻ nhỏ xơ cứng chỉ sau hai tuần.",
                "Tuần này đã có 4 bé ở chung cư gần nhà mình phải thở máy, bệnh viện được dặn giữ kín không cho ai nói ra ngoài. Máy nhà ai đang bật thì rút điện luôn, xem mã máy có trong danh sách tại bit.ly/maylockhongkhi hoặc gọi chị Hằng 0909 000 123 để được hướng dẫn. Ai có con nhỏ thì đọc xong nhớ CHIA SẺ NGAY cho các nhóm phụ huynh, tin này sắp bị gỡ!!!",
            ),
            (
                "mua-lon-ngap-duong",
                7,
                "Mưa lớn kéo dài, nhiều tuyến đường trung tâm ngập sâu",
                "Cơn mưa kéo dài gần hai tiếng chiều qua khiến nhiều tuyến đường ngập nửa bánh xe.",
                "Nhiều xe máy chết máy giữa đường, người dân phải dắt bộ qua các đoạn ngập. Nước rút sau khoảng một giờ khi mưa ngớt.",
            ),
        ],
    ),
];

/// The debunk, published an hour and more after the post it quotes.
fn debunk() -> Item {
    Item {
        slug: DEBUNK.item.to_owned(),
        hours_ago: 1,
        author: "Phòng Truyền thông".to_owned(),
        title: "Sở Y tế khẳng định thông tin người bị thủy đậu phải kiêng nước, kiêng gió là sai sự thật"
            .to_owned(),
        summary: format!(
            "Bài đăng “{QUOTED}” đang được chia sẻ trong các nhóm phụ huynh là sai sự thật, có thể khiến trẻ bị bội nhiễm, để lại sẹo."
        ),
        body: "Sở Y tế tỉnh Bình An khuyến cáo người mắc thủy đậu vẫn cần tắm nhẹ nhàng bằng nước ấm hằng ngày, mặc quần áo rộng, ở phòng thoáng khí và không gãi làm vỡ nốt phỏng. Kiêng tắm, ở phòng kín làm da dễ bội nhiễm. Khi trẻ sốt cao kéo dài, nốt phỏng sưng đỏ, chảy mủ hoặc li bì, gia đình cần đưa trẻ đến cơ sở y tế gần nhất.".to_owned(),
    }
}

/// Adds the planted items to the demo's outlets: the three social pages, and the debunk to
/// the health department portal (when the outlets hold it).
pub fn add(outlets: &mut Vec<Outlet>) {
    if let Some(portal) = outlets.iter_mut().find(|o| o.slug == DEBUNK_OUTLET) {
        portal.items.push(debunk());
    }
    outlets.extend(PAGES.iter().map(|&(slug, name, format, author, posts)| {
        Outlet {
            slug: slug.to_owned(),
            name: name.to_owned(),
            format: format.to_owned(),
            tier: "social".to_owned(),
            items: posts
                .iter()
                .map(|&(slug, hours_ago, title, summary, body)| Item {
                    slug: slug.to_owned(),
                    hours_ago,
                    author: author.to_owned(),
                    title: title.to_owned(),
                    summary: summary.to_owned(),
                    body: body.to_owned(),
                })
                .collect(),
        }
    }));
}
