//! The rumour the demo follows across outlets: Góc Chia Sẻ Cộng Đồng's papaya-leaf
//! "cure" for dengue, carried word for word by three more outlets in the hours after, so
//! the demo shows one story with four sightings and its first publisher.
//!
//! The copies are made from the bundled item rather than written out again, so they stay
//! identical to it whatever the item says. Each carrier also posts something harmless:
//! pages that only ever repost one rumour do not exist.

use crate::{Item, Outlet};

/// The outlet that publishes the rumour first.
pub const RUMOUR_OUTLET: &str = "goc-chia-se";
/// The rumour's slug, on its first outlet and on every carrier.
pub const RUMOUR_ITEM: &str = "la-du-du-chua-sot-xuat-huyet";

/// A carrier: slug, name, feed format, tier, and how many hours after the first
/// publication it reposts the rumour.
const CARRIERS: [(&str, &str, &str, &str, i64); 3] = [
    ("meo-hay-song-khoe", "Mẹo Hay Sống Khỏe", "rss", "social", 1),
    ("tin-nhanh-tong-hop", "Tin Nhanh Tổng Hợp", "atom", "aggregator", 2),
    ("hoi-cac-me-bim-sua", "Hội Các Mẹ Bỉm Sữa", "json", "social", 3),
];

/// A post of a carrier's own: (slug, hours ago, title, summary, body).
type Post = (&'static str, i64, &'static str, &'static str, &'static str);

/// Harmless posts of each carrier.
const OWN_POSTS: [[Post; 1]; 3] = [
    [(
        "sua-chua-deo",
        20,
        "Cách làm sữa chua dẻo mịn tại nhà chỉ với ba nguyên liệu",
        "Sữa tươi, sữa đặc và một hũ sữa chua cái là đủ cho mẻ sữa chua đầu tiên.",
        "Ủ hỗn hợp ở nơi ấm trong tám tiếng rồi cho vào ngăn mát. Muốn sữa chua dẻo hơn có thể thêm một ít gelatin.",
    )],
    [(
        "gia-xang-giam",
        9,
        "Giá xăng giảm nhẹ từ chiều nay",
        "Liên bộ điều chỉnh giá bán lẻ xăng dầu trong kỳ điều hành mới.",
        "Mỗi lít xăng giảm khoảng 300 đồng, dầu diesel giữ nguyên giá so với kỳ trước.",
    )],
    [(
        "goi-y-do-choi-go",
        14,
        "Gợi ý năm món đồ chơi bằng gỗ cho bé tập đi",
        "Xe đẩy, bộ xếp hình và thú kéo dây giúp bé vừa chơi vừa vận động.",
        "Nên chọn đồ chơi có cạnh bo tròn, sơn an toàn và kích thước đủ lớn để bé không nuốt được.",
    )],
];

/// The three carriers of the rumour, given the outlets that hold its first publication;
/// none when the rumour is not among them.
pub fn carriers(outlets: &[Outlet]) -> Vec<Outlet> {
    let Some(original) = outlets
        .iter()
        .filter(|o| o.slug == RUMOUR_OUTLET)
        .flat_map(|o| &o.items)
        .find(|i| i.slug == RUMOUR_ITEM)
    else {
        return Vec::new();
    };
    CARRIERS
        .iter()
        .zip(OWN_POSTS)
        .map(|(&(slug, name, format, tier, later), posts)| {
            let mut items = vec![Item {
                author: "Quản trị viên".to_owned(),
                // The same slug keeps the renderer's minutes the same: whole hours later.
                hours_ago: original.hours_ago - later,
                ..original.clone()
            }];
            items.extend(posts.iter().map(|&(slug, hours_ago, title, summary, body)| Item {
                slug: slug.to_owned(),
                hours_ago,
                author: "Quản trị viên".to_owned(),
                title: title.to_owned(),
                summary: summary.to_owned(),
                body: body.to_owned(),
            }));
            Outlet {
                slug: slug.to_owned(),
                name: name.to_owned(),
                format: format.to_owned(),
                tier: tier.to_owned(),
                items,
            }
        })
        .collect()
}
