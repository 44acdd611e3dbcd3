//! The demo's history: sixty days of provincial health news from seven fictional outlets,
//! generated deterministically, ending with a dengue spike in Đồng Nai on the current
//! Vietnam day, and the papaya-leaf rumour carried word for word by three more outlets.
//!
//! Why generated: a spike is only a spike against a baseline, and a baseline of weeks
//! written by hand would be hundreds of items. A fixed-seed LCG picks, day by day, one to
//! four stories (topic, province, outlet, wording frame, commune, hospital, figures); the
//! text comes from frames written per topic, each with its own vocabulary, so the story
//! clusterer keeps different incidents apart the way it would keep real ones apart.
//!
//! Why relative to the clock: the spike scan counts stories per Vietnam calendar day, so
//! the items are laid on Vietnam days and hours and only then turned into `hours_ago`.
//! The spike lies in the current Vietnam day, between one and eleven hours old; in the
//! first four hours of a day there is no room for it, and it lies in the evening before.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::{Item, Outlet};

/// The province of the spike: Đồng Nai's code since 1 July 2025.
pub const SPIKE_PROVINCE: &str = "75";
/// The province's name as the texts write it.
pub const SPIKE_PROVINCE_NAME: &str = "Đồng Nai";
/// The topic rule the spike's items match.
pub const SPIKE_TOPIC: &str = "topic.sot-xuat-huyet";
/// Days of history before the current one.
pub const HISTORY_DAYS: i64 = 60;
/// Distinct dengue incidents in Đồng Nai on the spike day.
pub const SPIKE_INCIDENTS: usize = 13;

/// What one generated item is about, for tests and for anyone reading the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The outlet's slug.
    pub outlet: String,
    /// The item's slug.
    pub item: String,
    /// The topic rule it is written to match.
    pub topic: &'static str,
    /// The province it is about (two-digit code).
    pub province: &'static str,
    /// Its incident: items of one incident on several outlets share it.
    pub incident: usize,
    /// Whether it belongs to the spike.
    pub spike: bool,
}

/// The generated outlets and what each item is about.
#[derive(Debug, Clone)]
pub struct History {
    /// The history outlets with their items.
    pub outlets: Vec<Outlet>,
    /// One label per item, in the order generated.
    pub labels: Vec<Label>,
    /// The Vietnam date of the spike.
    pub spike_day: NaiveDate,
}

/// Vietnam's offset (UTC+7, no daylight saving).
const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The Vietnam date of an instant.
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&VIETNAM).date_naive()
}

/// A small linear congruential generator: the same seed gives the same history on every
/// machine, with no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.next() % (hi - lo + 1)
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.next() % total.max(1);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A real province, the communes whose names belong to it alone, and its hospitals.
struct Province {
    code: &'static str,
    /// The name as running text writes it.
    name: &'static str,
    /// The name with its kind, for a first mention.
    unit: &'static str,
    communes: &'static [&'static str],
    hospitals: &'static [&'static str],
    /// How often it is in the news, relative to the others.
    weight: u32,
}

const PROVINCES: &[Province] = &[
    Province {
        code: "75",
        name: "Đồng Nai",
        unit: "tỉnh Đồng Nai",
        communes: &[
            "phường Trấn Biên",
            "phường Biên Hòa",
            "phường Long Khánh",
            "phường Hàng Gòn",
            "phường Bình Lộc",
            "phường Tân Triều",
            "phường Đồng Xoài",
            "phường Bình Long",
            "phường Chơn Thành",
            "xã Bù Đăng",
            "xã Dầu Giây",
            "xã Nhơn Trạch",
            "xã Trảng Bom",
            "xã Tân Khai",
            "xã Định Quán",
            "xã Đak Lua",
        ],
        hospitals: &[
            "Bệnh viện Đa khoa Đồng Nai",
            "Bệnh viện Đa khoa khu vực Long Thành",
            "Bệnh viện Đa khoa khu vực Long Khánh",
            "Bệnh viện Đa khoa khu vực Định Quán",
        ],
        weight: 3,
    },
    Province {
        code: "79",
        name: "TP.HCM",
        unit: "TP.HCM",
        communes: &[
            "phường Bàn Cờ",
            "phường Bảy Hiền",
            "phường Bình Tây",
            "phường Bình Đông",
            "phường Bình Trưng",
            "phường Bình Phú",
            "phường An Hội Tây",
            "phường Bình Lợi Trung",
        ],
        hospitals: &[
            "Bệnh viện Nhi đồng Thành phố",
            "Bệnh viện Bệnh Nhiệt đới TP.HCM",
            "Bệnh viện Đa khoa khu vực Thủ Đức",
        ],
        weight: 4,
    },
    Province {
        code: "01",
        name: "Hà Nội",
        unit: "thành phố Hà Nội",
        communes: &[
            "phường Cầu Giấy",
            "phường Hà Đông",
            "phường Láng",
            "phường Sơn Tây",
            "phường Thanh Liệt",
            "phường Tây Hồ",
            "phường Từ Liêm",
            "phường Yên Hòa",
            "xã Bất Bạt",
            "xã Hòa Xá",
        ],
        hospitals: &["Bệnh viện Đa khoa Hà Đông", "Bệnh viện Đa khoa Sơn Tây"],
        weight: 4,
    },
    Province {
        code: "92",
        name: "Cần Thơ",
        unit: "thành phố Cần Thơ",
        communes: &[
            "phường Ninh Kiều",
            "phường Cái Răng",
            "phường Ô Môn",
            "phường Vị Thanh",
            "phường Ngã Năm",
            "phường Vĩnh Châu",
            "xã Cù Lao Dung",
        ],
        hospitals: &["Bệnh viện Nhi đồng Cần Thơ", "Bệnh viện Đa khoa Trung ương Cần Thơ"],
        weight: 2,
    },
    Province {
        code: "56",
        name: "Khánh Hòa",
        unit: "tỉnh Khánh Hòa",
        communes: &[
            "phường Bắc Nha Trang",
            "phường Nam Nha Trang",
            "phường Cam Ranh",
            "phường Ninh Hòa",
            "phường Phan Rang",
            "xã Bác Ái",
        ],
        hospitals: &["Bệnh viện Đa khoa tỉnh Khánh Hòa", "Bệnh viện Đa khoa khu vực Cam Ranh"],
        weight: 2,
    },
    Province {
        code: "48",
        name: "Đà Nẵng",
        unit: "thành phố Đà Nẵng",
        communes: &[
            "phường Cẩm Lệ",
            "phường Hòa Khánh",
            "phường Liên Chiểu",
            "phường Sơn Trà",
            "phường Thanh Khê",
            "phường Hội An",
            "phường Tam Kỳ",
        ],
        hospitals: &["Bệnh viện Đà Nẵng", "Bệnh viện Phụ sản Nhi Đà Nẵng"],
        weight: 2,
    },
    Province {
        code: "40",
        name: "Nghệ An",
        unit: "tỉnh Nghệ An",
        communes: &[
            "phường Cửa Lò",
            "phường Thành Vinh",
            "phường Trường Vinh",
            "phường Vinh Hưng",
            "xã Con Cuông",
            "xã Diễn Châu",
        ],
        hospitals: &["Bệnh viện Đa khoa tỉnh Nghệ An", "Bệnh viện Sản Nhi Nghệ An"],
        weight: 2,
    },
    Province {
        code: "91",
        name: "An Giang",
        unit: "tỉnh An Giang",
        communes: &[
            "phường Châu Đốc",
            "phường Hà Tiên",
            "phường Rạch Giá",
            "phường Tân Châu",
            "xã Châu Phú",
            "xã Giồng Riềng",
        ],
        hospitals: &["Bệnh viện Đa khoa tỉnh An Giang", "Bệnh viện Đa khoa khu vực Châu Đốc"],
        weight: 2,
    },
    Province {
        code: "66",
        name: "Đắk Lắk",
        unit: "tỉnh Đắk Lắk",
        communes: &[
            "phường Buôn Ma Thuột",
            "phường Buôn Hồ",
            "phường Tuy Hòa",
            "xã Buôn Đôn",
            "xã Ea Drăng",
        ],
        hospitals: &["Bệnh viện Đa khoa vùng Tây Nguyên", "Bệnh viện Đa khoa tỉnh Đắk Lắk"],
        weight: 1,
    },
];

/// A fictional outlet of the history, and the provinces it covers.
struct Source {
    slug: &'static str,
    name: &'static str,
    format: &'static str,
    tier: &'static str,
    covers: &'static [&'static str],
    authors: &'static [&'static str],
}

const SOURCES: &[Source] = &[
    Source {
        slug: "tin-tuc-mien-dong",
        name: "Tin Tức Miền Đông",
        format: "rss",
        tier: "press",
        covers: &["75", "79"],
        authors: &["Trọng Nhân", "Bích Ngọc", "Hải Đăng"],
    },
    Source {
        slug: "cdc-lien-vung-nam-bo",
        name: "Bản tin CDC Liên vùng Nam Bộ",
        format: "json",
        tier: "official",
        covers: &["75", "79", "92", "91", "66"],
        authors: &["Phòng Truyền thông", "Khoa Kiểm soát bệnh truyền nhiễm"],
    },
    Source {
        slug: "y-te-viet-24h",
        name: "Y Tế Việt 24h",
        format: "atom",
        tier: "press",
        covers: &["75", "79", "01", "92", "56", "48", "40", "91", "66"],
        authors: &["Khánh Linh", "Đức Anh", "Mai Phương"],
    },
    Source {
        slug: "dong-nam-tv",
        name: "Truyền hình Đông Nam",
        format: "rss",
        tier: "press",
        covers: &["75", "79", "66"],
        authors: &["Thanh Tùng", "Ngọc Hân"],
    },
    Source {
        slug: "nhip-cau-bac-trung",
        name: "Nhịp Cầu Bắc Trung",
        format: "rss",
        tier: "press",
        covers: &["01", "40", "48"],
        authors: &["Văn Hiếu", "Thu Trang"],
    },
    Source {
        slug: "duyen-hai-nam-trung",
        name: "Báo Duyên Hải Nam Trung",
        format: "atom",
        tier: "press",
        covers: &["56", "48", "66"],
        authors: &["Quang Vinh", "Hồng Nhung"],
    },
    Source {
        slug: "thoi-bao-song-hau",
        name: "Thời Báo Sông Hậu",
        format: "json",
        tier: "press",
        covers: &["92", "91", "79"],
        authors: &["Hữu Tài", "Cẩm Tú"],
    },
];

/// The outlets of the spike, in the order its incidents are spread over them: four
/// distinct sources, as the volume guard wants at least three.
const SPIKE_SOURCES: &[usize] = &[0, 1, 2, 3];

/// One way of writing an item of a topic. Placeholders: `{xa}` a commune, `{xa2}` another
/// one, `{tinh}` the province, `{dv}` the province with its kind, `{bv}` a hospital,
/// `{n}` a small count, `{m}` a larger one, `{tre}` a child's age, `{lon}` an adult's, `{bs}` a doctor, `{ngay}`
/// the date.
struct Frame {
    title: &'static str,
    summary: &'static str,
    body: &'static str,
}

/// A topic of the rule packs and the frames that write it.
struct Topic {
    rule: &'static str,
    slug: &'static str,
    weight: u32,
    frames: &'static [Frame],
}

/// Dengue frames the spike uses, one incident each; the baseline writes dengue only with
/// the frames from this index on, so no earlier item, in whatever order the outlets are
/// fetched, reads like one of the spike's incidents.
const DENGUE_SPIKE_FRAMES: usize = SPIKE_INCIDENTS;

const DENGUE: &[Frame] = &[
    Frame {
        title: "Trường tiểu học ở {xa} có {n} học sinh mắc sốt xuất huyết",
        summary: "Ban giám hiệu cho học sinh lớp có ca bệnh nghỉ hai ngày để trạm y tế phun thuốc toàn bộ khuôn viên trường.",
        body: "Giáo viên chủ nhiệm phát hiện nhiều em nghỉ học liên tiếp vì sốt cao, gia đình cho biết các em được chẩn đoán sốt xuất huyết. Trạm y tế {xa} đã kiểm tra bồn hoa, máng nước, chậu cây cảnh quanh lớp học và hướng dẫn nhà trường lật úp vật dụng đọng nước. Phụ huynh được đề nghị cho trẻ mặc áo dài tay, ngủ màn cả ban ngày.",
    },
    Frame {
        title: "Công trình xây dựng tại {xa} có {n} thợ xây mắc sốt xuất huyết",
        summary: "Lán trại tạm bợ, thùng phuy trữ nước mở nắp khiến muỗi vằn sinh sôi ngay trong công trường.",
        body: "Đoàn kiểm tra của {xa} ghi nhận nhiều hố móng, thùng sơn cũ và bạt che đọng nước mưa. Chủ thầu bị yêu cầu dọn vệ sinh, đậy kín thùng phuy và đưa thợ có biểu hiện sốt đến {bv} khám. Các thợ xây phần lớn từ tỉnh khác đến làm việc, ở ngay tại lán.",
    },
    Frame {
        title: "Thai phụ {lon} tuổi mắc sốt xuất huyết được theo dõi sát tại {bv}",
        summary: "Người mẹ mang thai tuần thứ 30 sốt cao ba ngày, các bác sĩ sản khoa và truyền nhiễm cùng hội chẩn.",
        body: "Theo {bs}, sốt xuất huyết ở thai kỳ cần được theo dõi chặt vì nguy cơ chảy máu khi chuyển dạ. Sản phụ ở {xa}, hiện tỉnh táo, thai nhi phát triển bình thường. Bệnh viện khuyên phụ nữ mang thai sốt cao không tự uống thuốc hạ sốt loại aspirin mà đến khám sớm.",
    },
    Frame {
        title: "Bé trai {tre} tuổi ở {xa} vào sốc sốt xuất huyết, bác sĩ nhắc dấu hiệu cảnh báo",
        summary: "Cháu bé hết sốt ngày thứ tư nhưng đau bụng, nôn nhiều, tay chân lạnh và được chuyển gấp lên tuyến trên.",
        body: "Các bác sĩ {bv} cho biết giai đoạn nguy hiểm nhất là khi trẻ vừa cắt sốt. Cha mẹ thấy con li bì, đau bụng vùng gan, chảy máu cam hay chân răng cần đưa ngay đến bệnh viện. Sau hai ngày hồi sức, bé đã qua cơn nguy kịch.",
    },
    Frame {
        title: "Khu nhà trọ công nhân ở {xa} ghi nhận {n} người mắc sốt xuất huyết",
        summary: "Dãy trọ hơn 40 phòng dùng chung bể nước không nắp, lăng quăng dày đặc trong các lu chứa.",
        body: "Tổ dân phố cùng chủ nhà trọ đã súc rửa bể, thả cá bảy màu vào lu nước và phát tờ rơi cho người thuê trọ. Người lao động đi làm ca đêm, ngủ ngày nên dễ bị muỗi đốt. Chính quyền {xa} yêu cầu các chủ trọ cam kết vệ sinh môi trường hằng tuần.",
    },
    Frame {
        title: "{bv} tiếp nhận {m} trẻ sốt xuất huyết chỉ trong một ngày",
        summary: "Khoa Nhiễm phải kê thêm giường ở hành lang, bố trí bác sĩ trực tăng cường vào buổi tối.",
        body: "Lãnh đạo bệnh viện cho biết phần lớn trẻ đến từ {xa} và {xa2}, nhiều em đã sốt ba, bốn ngày mới được đưa đi khám. Bệnh viện mở thêm bàn khám sàng lọc sốt riêng để giảm thời gian chờ. Các bác sĩ nhắc phụ huynh cho trẻ uống đủ nước, oresol và hạ sốt bằng paracetamol đúng liều.",
    },
    Frame {
        title: "Ra quân phun hóa chất diệt muỗi ở {xa} sau {n} ca sốt xuất huyết",
        summary: "Hơn 20 tổ phun đi từng ngõ hẻm, người dân được dặn mở cửa, che đậy thức ăn trước giờ phun.",
        body: "Đợt phun kéo dài hai ngày, bao phủ khoảng 1.500 hộ quanh nơi ở của các bệnh nhân. Cán bộ y tế cho biết phun hóa chất chỉ diệt muỗi trưởng thành, nếu còn dụng cụ chứa nước thì muỗi sẽ quay lại sau một tuần. Ủy ban {xa} giao các tổ dân phố kiểm tra lại từng hộ vào cuối tuần.",
    },
    Frame {
        title: "Bãi lốp xe cũ ở {xa} thành nơi muỗi vằn sinh sản",
        summary: "Hàng nghìn chiếc lốp xe chất đống ngoài trời đọng nước mưa, {n} hộ sát bên có người mắc sốt xuất huyết.",
        body: "Chủ bãi phế liệu được yêu cầu che phủ hoặc đục lỗ thoát nước cho toàn bộ lốp xe trong ba ngày. Đội kiểm tra vớt được lăng quăng trong gần một nửa số lốp kiểm tra ngẫu nhiên. {xa} sẽ xử phạt nếu cơ sở không khắc phục.",
    },
    Frame {
        title: "Nhà máy may ở {xa} có {n} công nhân nghỉ ốm vì sốt xuất huyết",
        summary: "Doanh nghiệp cho người lao động nghỉ hưởng lương và mời y tế đến tập huấn phòng bệnh giữa ca.",
        body: "Phòng nhân sự cho biết các ca bệnh rải rác ở ba chuyền may, đều sống quanh khu công nghiệp. Nhà máy dọn sạch mương thoát nước, thay nước bình hoa trong căng tin và lắp thêm lưới chắn ở ký túc xá. Bộ phận y tế của nhà máy theo dõi nhiệt độ người lao động mỗi sáng.",
    },
    Frame {
        title: "Mùa mưa, công nhân cạo mủ cao su ở {xa} mắc sốt xuất huyết",
        summary: "Người cạo mủ vào lô từ ba giờ sáng, ở nhà tạm giữa vườn cây nên khó tránh muỗi đốt.",
        body: "Nông trường phát màn tẩm hóa chất và thuốc xua muỗi cho các tổ cạo mủ, đồng thời phát quang bụi rậm quanh nhà tạm. Trong tuần, {n} người lao động phải nghỉ việc điều trị. Trạm y tế {xa} cử cán bộ xuống từng đội sản xuất để hướng dẫn nhận biết sớm dấu hiệu bệnh.",
    },
    Frame {
        title: "Ba thế hệ trong một gia đình ở {xa} cùng mắc sốt xuất huyết",
        summary: "Ông, con gái và cháu ngoại lần lượt sốt cao trong năm ngày, cả nhà phải thay nhau nằm viện.",
        body: "Nhân viên y tế đến nhà phát hiện lăng quăng trong chum nước mưa và khay hứng nước tủ lạnh. Gia đình cho biết không nghĩ tới sốt xuất huyết vì nghĩ chỉ là cảm cúm thông thường. {bs} khuyên khi một người trong nhà mắc, cả nhà cần diệt muỗi ngay để bệnh không lây sang người khác.",
    },
    Frame {
        title: "Nghĩa trang ở {xa} thành điểm nóng muỗi vằn",
        summary: "Lọ hoa, bát hương đọng nước quanh hàng trăm ngôi mộ; khu dân cư lân cận có {n} người mắc sốt xuất huyết.",
        body: "Ban quản trang cùng đoàn viên thanh niên đã thu gom vỏ chai, đổ nước đọng và rắc cát vào lọ hoa. Cán bộ y tế khuyên người đi tảo mộ không để nước trong bình cắm hoa. Chính quyền dự kiến duy trì dọn dẹp mỗi tháng hai lần.",
    },
    Frame {
        title: "Tiểu thương chợ {xa} lần lượt mắc sốt xuất huyết",
        summary: "Nhiều sạp hàng vắng chủ vì {n} người bán ở cùng một dãy chợ phải nghỉ bán đi điều trị.",
        body: "Ban quản lý chợ cho biết mái tôn, máng xối và thùng xốp chứa hàng đọng nước sau các cơn mưa chiều. Đội y tế đã phun thuốc vào buổi tối sau giờ chợ tan và hướng dẫn tiểu thương úp ngược thùng xốp. Người mua được khuyến cáo không hoang mang, chợ vẫn hoạt động bình thường.",
    },
    // Baseline only, never on the spike day.
    Frame {
        title: "{dv} ghi nhận {m} ca sốt xuất huyết trong tuần",
        summary: "Số ca mắc tương đương tuần trước, tập trung ở {xa} và {xa2}, chưa có ca tử vong.",
        body: "Theo Sở Y tế {tinh}, cộng dồn từ đầu năm toàn địa bàn có hơn một nghìn ca mắc. Ngành y tế đề nghị các địa phương duy trì chiến dịch diệt lăng quăng mỗi tuần một lần, giám sát chặt tại trường học và khu dân cư đông người.",
    },
    Frame {
        title: "{bv} triển khai tiêm vắc xin sốt xuất huyết cho người từ 4 tuổi",
        summary: "Vắc xin được tiêm hai mũi cách nhau ba tháng; người dân đăng ký qua ứng dụng để tránh chờ đợi.",
        body: "Theo {bs}, vắc xin không thay thế việc diệt muỗi và lăng quăng, người đã tiêm vẫn cần ngủ màn. Ngày đầu tiên có hơn {m} người ở {xa} và vùng lân cận đến tiêm. Bệnh viện bố trí khu theo dõi sau tiêm 30 phút.",
    },
    Frame {
        title: "Thả muỗi mang Wolbachia ở {xa} để giảm sốt xuất huyết",
        summary: "Các hộ gia đình nhận hộp trứng muỗi đã nhiễm vi khuẩn Wolbachia, loại muỗi làm giảm khả năng truyền virus dengue.",
        body: "Dự án do Viện Pasteur phối hợp thực hiện, theo dõi mật độ muỗi qua các bẫy đặt trong khu dân cư. Người dân được giải thích muỗi thả ra không gây hại thêm và không cần phun thuốc đuổi.",
    },
    Frame {
        title: "Hội thi tuyên truyền viên phòng chống sốt xuất huyết ở {xa}",
        summary: "Các đội thi là cộng tác viên y tế thôn ấp, trình diễn tiểu phẩm về đậy kín lu khạp, thu gom vật phế thải.",
        body: "Giải nhất thuộc về đội có tiểu phẩm cụ ông giữ lu nước mưa nấu chè. Ban tổ chức cho biết hội thi giúp thông điệp phòng bệnh đến với người lớn tuổi dễ hơn tờ rơi.",
    },
    Frame {
        title: "Đi làm xa về, nam thanh niên {lon} tuổi mắc sốt xuất huyết",
        summary: "Anh làm thời vụ ở tỉnh khác, về quê được hai ngày thì sốt cao, đau hốc mắt, nổi chấm đỏ ở cẳng chân.",
        body: "Bệnh nhân điều trị tại {bv}, tình trạng ổn định. Trạm y tế {xa} xử lý môi trường quanh nhà và theo dõi sức khỏe người thân trong hai tuần.",
    },
    Frame {
        title: "Sở Y tế {tinh} kiểm tra công tác phòng chống sốt xuất huyết tại {xa}",
        summary: "Đoàn đánh giá việc giám sát ca bệnh, dự trữ hóa chất và hoạt động diệt lăng quăng của địa phương.",
        body: "Trưởng đoàn đề nghị địa phương cập nhật bản đồ nguy cơ theo từng khu phố, báo cáo ca bệnh qua phần mềm trong ngày. Một số hộ vẫn để lốp xe, chậu vỡ ngoài sân được nhắc nhở trực tiếp.",
    },
    Frame {
        title: "Suy gan vì sốt xuất huyết, người phụ nữ {lon} tuổi được cứu nhờ lọc máu liên tục",
        summary: "Bệnh nhân ở {xa} nhập viện muộn, men gan tăng hàng chục lần, rối loạn đông máu.",
        body: "Các bác sĩ {bv} hồi sức tích cực trong một tuần trước khi bệnh nhân tỉnh lại. {bs} cho biết người có bệnh nền hoặc béo phì dễ trở nặng, cần đi khám ngay từ những ngày đầu sốt.",
    },
    Frame {
        title: "Sinh viên ký túc xá ở {xa} được hướng dẫn phòng sốt xuất huyết",
        summary: "Đoàn thanh niên tổ chức ngày chủ nhật xanh, dọn vỏ lon, chai nhựa quanh các dãy phòng.",
        body: "Ban quản lý ký túc xá ghi nhận {n} sinh viên sốt phải đi khám trong tháng. Mỗi phòng được phát bình xịt muỗi và lịch kiểm tra nhà vệ sinh, bể nước. Trạm y tế {xa} cử cán bộ nói chuyện về dấu hiệu cần đến viện ngay.",
    },
];

const HAND_FOOT_MOUTH: &[Frame] = &[
    Frame {
        title: "Trường mầm non ở {xa} có {n} trẻ mắc tay chân miệng",
        summary: "Nhà trường khử khuẩn đồ chơi, bàn ghế bằng cloramin B và cho lớp có ca bệnh nghỉ một tuần.",
        body: "Giáo viên phát hiện trẻ có nốt phỏng ở lòng bàn tay, bàn chân và vết loét trong miệng. Trạm y tế {xa} hướng dẫn phụ huynh theo dõi trẻ tại nhà, đưa đi khám khi trẻ sốt cao, giật mình chới với.",
    },
    Frame {
        title: "{bv} điều trị {m} trẻ mắc tay chân miệng, nhiều ca độ 2",
        summary: "Phần lớn trẻ dưới 5 tuổi; bác sĩ nhắc cha mẹ dấu hiệu giật mình, run chi, quấy khóc liên tục.",
        body: "Theo {bs}, trẻ giật mình nhiều trong đêm là dấu hiệu bệnh chuyển nặng, cần nhập viện ngay. Khoa Nhi bố trí phòng cách ly riêng cho các bé. Phụ huynh nên rửa tay bằng xà phòng sau khi thay tã, vệ sinh đồ chơi mỗi ngày.",
    },
    Frame {
        title: "Phát hiện chủng EV71 ở bé gái {tre} tuổi mắc tay chân miệng tại {xa}",
        summary: "Kết quả xét nghiệm cho thấy chủng enterovirus EV71, loại dễ gây biến chứng thần kinh.",
        body: "Bé đã qua giai đoạn nguy hiểm sau ba ngày điều trị tích cực. Ngành y tế {tinh} đề nghị các nhóm trẻ tư thục tăng cường khử khuẩn và báo ngay cho trạm y tế khi có trẻ sốt kèm phát ban.",
    },
    Frame {
        title: "Từ ngày {ngay}, {tinh} phát động chiến dịch rửa tay phòng tay chân miệng",
        summary: "Mỗi lớp mầm non được phát xà phòng, dung dịch sát khuẩn và tranh hướng dẫn sáu bước rửa tay.",
        body: "Cô giáo tại {xa} cho biết các bé được tập rửa tay trước giờ ăn và sau giờ chơi ngoài sân. Sở Giáo dục phối hợp ngành y tế kiểm tra ngẫu nhiên các điểm trường trong tháng.",
    },
    Frame {
        title: "{m} trẻ ở {tinh} mắc tay chân miệng trong hai tuần sau kỳ nghỉ",
        summary: "Theo hệ thống giám sát, phần lớn ca bệnh là trẻ từ một đến ba tuổi gửi ở nhà trẻ gia đình.",
        body: "Trung tâm y tế {xa} nhắc các cơ sở giữ trẻ lau sàn nhà bằng dung dịch khử khuẩn mỗi ngày. Trẻ mắc bệnh nên nghỉ ở nhà ít nhất mười ngày kể từ khi phát bệnh.",
    },
    Frame {
        title: "Nhóm trẻ tư thục ở {xa} tạm đóng cửa vì tay chân miệng",
        summary: "Sau khi {n} trẻ cùng nhóm mắc bệnh, chủ cơ sở cho các bé nghỉ để khử trùng toàn bộ phòng học.",
        body: "Cán bộ y tế kiểm tra thấy nhóm trẻ chưa có bồn rửa tay đủ cho các bé. Chính quyền {xa} yêu cầu cơ sở bổ sung xà phòng, khăn lau riêng trước khi đón trẻ trở lại.",
    },
];

const MEASLES: &[Frame] = &[
    Frame {
        title: "{tinh} lấy mẫu {n} trẻ sốt phát ban nghi sởi",
        summary: "Mọi trẻ sốt kèm phát ban đều được lấy mẫu xét nghiệm, trạm y tế báo cáo trong 24 giờ.",
        body: "Các trẻ được lấy mẫu sống ở {xa} và {xa2}, kết quả đang chờ. Ngành y tế đề nghị trường học và nhà trẻ thông báo ngay khi có trẻ nghỉ học vì sốt, ho, mắt đỏ.",
    },
    Frame {
        title: "{xa} tổ chức tiêm vét vắc xin sởi cho trẻ chưa đủ mũi",
        summary: "Trạm y tế rà soát sổ tiêm chủng, mời {m} trẻ từ 1 đến 5 tuổi đến tiêm bù trong hai buổi sáng.",
        body: "Cán bộ y tế đến từng nhà có trẻ chưa tiêm đủ hai mũi vắc xin sởi để vận động. Theo {bs}, tỷ lệ tiêm đủ mũi phải trên 95% mới tạo được miễn dịch cộng đồng. Trẻ được theo dõi 30 phút sau tiêm tại trạm.",
    },
    Frame {
        title: "Bé {tre} tuổi chưa tiêm vắc xin mắc sởi biến chứng viêm phổi",
        summary: "Gia đình ở {xa} cho biết bé sốt, phát ban năm ngày mới đưa đi khám tại {bv}.",
        body: "Các bác sĩ cho biết trẻ chưa tiêm vắc xin sởi dễ gặp biến chứng viêm phổi, viêm tai giữa. Bệnh viện cách ly bé ở khu riêng. Ngành y tế {tinh} nhắc phụ huynh đưa trẻ đi tiêm đúng lịch.",
    },
    Frame {
        title: "{bv} lập khu điều trị riêng cho bệnh nhân sởi",
        summary: "Bệnh viện đang điều trị {n} ca sởi, chủ yếu là trẻ nhỏ và người lớn chưa tiêm phòng.",
        body: "Khu điều trị mới có lối đi riêng để tránh lây nhiễm cho bệnh nhân khác. {bs} cho biết người lớn mắc sởi thường sốt cao, mệt nhiều và cần được theo dõi men gan.",
    },
];

const FOOD_POISONING: &[Frame] = &[
    Frame {
        title: "Ăn gỏi cá tự làm, người phụ nữ ở {xa} ngộ độc thực phẩm",
        summary: "Bà chế biến gỏi từ cá mua ở chợ chiều, để qua đêm ngoài tủ lạnh rồi ăn vào bữa sáng.",
        body: "Các bác sĩ {bv} chẩn đoán ngộ độc thực phẩm do vi khuẩn, bệnh nhân được bù nước và đã ổn định. {bs} nhắc món gỏi, đồ tái sống nên ăn ngay sau khi làm, không để lâu ở nhiệt độ phòng.",
    },
    Frame {
        title: "Vợ chồng ở {xa} ngộ độc nấm rừng sau bữa tối",
        summary: "Hai người hái nấm mọc quanh vườn điều về nấu canh, nửa đêm nôn ói, đau quặn bụng.",
        body: "Xét nghiệm tại {bv} cho thấy men gan của cả hai tăng cao, bác sĩ nghi loại nấm trắng có độc tố amatoxin. Theo {bs}, nấm độc và nấm ăn được mọc lẫn vào nhau sau mưa, nhìn bằng mắt thường rất khó phân biệt.",
    },
    Frame {
        title: "Người đàn ông {lon} tuổi ngộ độc cá nóc ở {xa}",
        summary: "Ông mua cá nóc đã làm sẵn ở chợ về nấu cháo, ăn xong tê môi, khó thở.",
        body: "{bs} cho biết độc tố của cá nóc không bị phá hủy khi nấu chín. Bệnh nhân phải thở máy hai ngày tại {bv}. Cơ quan chức năng đang truy nguồn gốc lô cá bán ở chợ.",
    },
    Frame {
        title: "Hai anh em ở {xa} ngộ độc sau khi ăn thịt cóc",
        summary: "Cha mẹ đi làm xa, hai anh em tự làm thịt cóc nướng ăn, sau đó nôn và mệt lả.",
        body: "Các em được cấp cứu kịp thời tại {bv}. Bác sĩ nhắc gan, trứng và da cóc chứa độc tố rất mạnh, trẻ nhỏ đặc biệt dễ bị ngộ độc nặng.",
    },
];

const INFLUENZA: &[Frame] = &[
    Frame {
        title: "Học sinh ở {xa} nghỉ học nhiều vì cúm A",
        summary: "Có lớp vắng một phần ba sĩ số, nhà trường mở cửa sổ thông thoáng và lau tay nắm cửa mỗi giờ.",
        body: "Phụ huynh được đề nghị cho trẻ sốt ở nhà nghỉ ngơi, không tự cho uống kháng sinh. {bs} cho biết bệnh cúm ở trẻ thường khỏi sau năm đến bảy ngày nếu được chăm sóc đúng cách.",
    },
    Frame {
        title: "{bv} ghi nhận số ca cúm A tăng ở người cao tuổi",
        summary: "Khoa Hô hấp đang điều trị {n} bệnh nhân cúm A có bệnh nền, nhiều người ở {xa}.",
        body: "Theo {bs}, người trên 60 tuổi, người bệnh mạn tính nên tiêm vắc xin cúm mỗi năm. Khi sốt, ho, đau họng cần đeo khẩu trang để không lây cho người trong nhà.",
    },
    Frame {
        title: "Trạm y tế {xa} tiêm vắc xin cúm mùa cho người lớn tuổi",
        summary: "Buổi tiêm đầu tiên có {m} người đăng ký, trạm y tế bố trí bàn khám sàng lọc trước khi tiêm.",
        body: "Cán bộ trạm cho biết vắc xin cúm mùa được cập nhật chủng mỗi năm nên cần tiêm nhắc hằng năm. Người dân {tinh} có thể đăng ký qua tổ dân phố.",
    },
];

const RABIES: &[Frame] = &[
    Frame {
        title: "Mèo cào, {n} người ở {xa} đi tiêm huyết thanh kháng dại",
        summary: "Con mèo hoang cào nhiều trẻ nhỏ trong xóm rồi chết sau ba ngày, cơ quan thú y lấy mẫu xét nghiệm.",
        body: "Cán bộ trạm y tế đến từng gia đình có người bị cào để lập danh sách và hướng dẫn tiêm phòng dại đủ mũi. Bác sĩ khuyên không nặn máu, không đắp lá lên vết cào mà rửa kỹ dưới vòi nước chảy.",
    },
    Frame {
        title: "Người dân {xa} đổ đi tiêm phòng dại sau khi chó thả rông cắn {n} người",
        summary: "Con chó cắn liên tiếp nhiều người trên một đoạn đường rồi bỏ chạy, chưa rõ có mắc bệnh dại hay không.",
        body: "Trung tâm y tế khu vực ghi nhận lượng người đến tiêm vắc xin phòng dại tăng gấp đôi. Chính quyền {xa} yêu cầu chủ nuôi chó xích nhốt, tiêm phòng dại cho vật nuôi.",
    },
    Frame {
        title: "{xa} ra quân tiêm phòng dại miễn phí cho chó, mèo",
        summary: "Hơn {m} con vật nuôi được tiêm trong ngày đầu, chủ nuôi được hướng dẫn đăng ký quản lý.",
        body: "Cán bộ thú y cho biết tiêm phòng cho chó mèo là cách hiệu quả nhất để chặn bệnh dại từ gốc. Người bị chó mèo cắn cần rửa vết thương bằng xà phòng và đến cơ sở y tế ngay.",
    },
];

const CHICKENPOX: &[Frame] = &[
    Frame {
        title: "Điểm tiêm chủng ở {xa} đông người đến tiêm vắc xin thủy đậu",
        summary: "Nhiều phụ huynh đưa con đi tiêm sau khi trường học có ca bệnh, điểm tiêm phải phát số thứ tự.",
        body: "Theo {bs}, trẻ từ 12 tháng tuổi có thể tiêm mũi đầu, người lớn chưa mắc bệnh cũng nên tiêm hai mũi. Người đang sốt được hẹn tiêm lại sau khi khỏi.",
    },
    Frame {
        title: "Lớp học ở {xa} có {n} học sinh mắc thủy đậu",
        summary: "Nhà trường cho các em nghỉ học đến khi bóng nước khô vảy, khử khuẩn phòng học.",
        body: "Theo {bs}, thủy đậu lây qua đường hô hấp và tiếp xúc với dịch bóng nước. Trẻ chưa mắc nên tiêm vắc xin thủy đậu, không tự bôi lá hoặc thuốc lạ lên nốt phỏng.",
    },
    Frame {
        title: "Người lớn mắc thủy đậu tăng, {bv} nhắc tiêm phòng",
        summary: "Bệnh viện tiếp nhận {n} người trưởng thành mắc thủy đậu trong tháng, có ca biến chứng viêm da.",
        body: "Bác sĩ cho biết người lớn mắc thủy đậu thường nặng hơn trẻ em. Người ở {xa} và các vùng lân cận có thể đến tiêm phòng tại các điểm tiêm dịch vụ.",
    },
];

const TOPICS: &[Topic] = &[
    Topic { rule: "topic.sot-xuat-huyet", slug: "sxh", weight: 30, frames: DENGUE },
    Topic { rule: "topic.tay-chan-mieng", slug: "tcm", weight: 20, frames: HAND_FOOT_MOUTH },
    Topic { rule: "topic.soi", slug: "soi", weight: 12, frames: MEASLES },
    Topic { rule: "topic.ngo-doc-thuc-pham", slug: "ngo-doc", weight: 12, frames: FOOD_POISONING },
    Topic { rule: "topic.cum", slug: "cum", weight: 10, frames: INFLUENZA },
    Topic { rule: "topic.dai", slug: "dai", weight: 8, frames: RABIES },
    Topic { rule: "topic.thuy-dau", slug: "thuy-dau", weight: 8, frames: CHICKENPOX },
];

const DOCTORS: &[&str] = &[
    "bác sĩ Trần Minh Khoa",
    "bác sĩ Lê Thị Hồng Vân",
    "bác sĩ Phạm Quốc Hưng",
    "bác sĩ Nguyễn Ngọc Diệp",
    "bác sĩ Võ Thành Công",
    "bác sĩ Đặng Thu Thảo",
    "bác sĩ Huỳnh Văn Lộc",
];

/// Frames that only fit some provinces: rubber plantations are in the south-east and the
/// Central Highlands, not in Hà Nội. (topic rule, frame, provinces)
const ONLY_IN: &[(&str, usize, &[&str])] = &[("topic.sot-xuat-huyet", 9, &["75", "66", "79"])];

fn suits(topic: &Topic, frame: usize, province: &Province) -> bool {
    ONLY_IN
        .iter()
        .filter(|(rule, f, _)| *rule == topic.rule && *f == frame)
        .all(|(_, _, codes)| codes.contains(&province.code))
}

/// A story planned for the history: what, where, when, and on which outlets.
struct Plan {
    topic: usize,
    frame: usize,
    province: usize,
    at: DateTime<Utc>,
    sources: Vec<usize>,
    spike: bool,
}

/// Days a frame rests between two uses: longer than the clusterer's merge span (7 days)
/// and active window (3 days) together would be safest, but a week and two days is
/// enough for two stories written alike never to lie within the merge span.
const FRAME_REST_DAYS: i64 = 9;

/// The hour (Vietnam time) before which there is no room for a spike in the current day.
const EARLIEST_SPIKE_HOUR: i64 = 4;

/// Whether the spike's incident `k` is carried by a second outlet as well: three of them
/// are, which is realistic, and they must still count once.
fn retold(k: usize) -> bool {
    k.is_multiple_of(5)
}

/// The spike's day (0 = today, -1 = yesterday, in Vietnam days) and how many whole hours
/// before `now` each incident is published, given the time of day in Vietnam.
fn spike_times(now: DateTime<Utc>, rng: &mut Lcg) -> (i64, Vec<i64>) {
    let local = now.with_timezone(&VIETNAM);
    let since_midnight = (local.time() - chrono::NaiveTime::MIN).num_minutes();
    // Whole hours back from now; the renderer takes up to another hour off for the slug,
    // so the newest is at least an hour old (inside a 24-hour window that ends on the
    // last full hour) and the oldest stays after midnight.
    let (day, first, last) = if since_midnight >= EARLIEST_SPIKE_HOUR * 60 {
        (0, 1, (since_midnight / 60 - 2).clamp(1, 11))
    } else {
        let to_midnight = since_midnight / 60 + 2;
        (-1, to_midnight, to_midnight + 10)
    };
    // An incident a second outlet carries an hour later needs an hour of room.
    let times = (0..SPIKE_INCIDENTS)
        .map(|k| {
            let first = if retold(k) { first.max(2) } else { first };
            rng.between(first as u32, last.max(first) as u32).into()
        })
        .collect();
    (day, times)
}

/// The instant `minute` minutes into the Vietnam day `day` days from today.
fn at_minute(now: DateTime<Utc>, day: i64, minute: i64) -> DateTime<Utc> {
    let midnight = vietnam_date(now)
        .and_hms_opt(0, 0, 0)
        .map(|m| m - Duration::hours(7))
        .map(|m| Utc.from_utc_datetime(&m))
        .unwrap_or(now);
    midnight + Duration::days(day) + Duration::minutes(minute)
}

fn plan(now: DateTime<Utc>) -> (Vec<Plan>, i64) {
    let mut rng = Lcg(0x6c61_6e67_6e67_6865);
    let mut plans = Vec::new();
    let (spike_day, spike_at) = spike_times(now, &mut rng);
    let dengue = 0;
    let spike_province = PROVINCES.iter().position(|p| p.code == SPIKE_PROVINCE).unwrap_or(0);
    // The last day each (topic, frame) was used: a frame rests before it is used again,
    // so no two incidents written alike are ever active or mergeable stories together.
    let mut last_used: Vec<Vec<i64>> =
        TOPICS.iter().map(|t| vec![i64::MIN / 2; t.frames.len()]).collect();
    // Đồng Nai's dengue baseline is scheduled, not drawn: a story every three to five
    // days, none in the four days before the spike.
    let mut next_spike_province_dengue = -HISTORY_DAYS + 1;
    let province_weights: Vec<u32> = PROVINCES.iter().map(|p| p.weight).collect();
    let topic_weights: Vec<u32> = TOPICS.iter().map(|t| t.weight).collect();
    for day in -HISTORY_DAYS..=spike_day {
        let stories = if day == spike_day { 2 } else { 1 + rng.weighted(&[25, 35, 25, 15]) };
        let mut minutes: Vec<i64> =
            (0..stories).map(|_| i64::from(rng.between(6 * 60, 21 * 60))).collect();
        minutes.sort_unstable();
        for (k, minute) in minutes.into_iter().enumerate() {
            let at = at_minute(now, day, minute);
            // On the spike day the baseline items must be as old as the spike's.
            let at = if day == spike_day { at.min(now - Duration::hours(2)) } else { at };
            let scheduled = k == 0 && day >= next_spike_province_dengue && spike_day - day >= 4;
            let (topic, mut province) = if scheduled {
                (dengue, spike_province)
            } else {
                (rng.weighted(&topic_weights), rng.weighted(&province_weights))
            };
            let eligible = |topic: usize, province: usize| -> Vec<usize> {
                (0..TOPICS[topic].frames.len())
                    .filter(|&f| day - last_used[topic][f] >= FRAME_REST_DAYS)
                    .filter(|&f| suits(&TOPICS[topic], f, &PROVINCES[province]))
                    .filter(|&f| !(topic == dengue && f < DENGUE_SPIKE_FRAMES))
                    .collect()
            };
            // A topic whose frames all rest gives way to the next one.
            let Some((topic, frames)) = (0..TOPICS.len())
                .map(|k| (topic + k) % TOPICS.len())
                .map(|t| (t, eligible(t, province)))
                .find(|(_, f)| !f.is_empty())
            else {
                continue;
            };
            if topic == dengue && province == spike_province {
                if scheduled {
                    next_spike_province_dengue = day + 3 + rng.below(3) as i64;
                } else {
                    province = (province + 1 + rng.below(PROVINCES.len() - 1)) % PROVINCES.len();
                }
            }
            let frame = frames[rng.below(frames.len())];
            last_used[topic][frame] = day;
            let covering: Vec<usize> = (0..SOURCES.len())
                .filter(|&s| SOURCES[s].covers.contains(&PROVINCES[province].code))
                .collect();
            let source = covering[rng.below(covering.len())];
            plans.push(Plan { topic, frame, province, at, sources: vec![source], spike: false });
        }
    }
    for (k, hours) in spike_at.into_iter().enumerate() {
        let source = SPIKE_SOURCES[k % SPIKE_SOURCES.len()];
        let mut sources = vec![source];
        if retold(k) {
            sources.push(SPIKE_SOURCES[(k + 1) % SPIKE_SOURCES.len()]);
        }
        let at = now - Duration::hours(hours);
        plans.push(Plan {
            topic: dengue,
            frame: k,
            province: spike_province,
            at,
            sources,
            spike: true,
        });
    }
    (plans, spike_day)
}

/// The particulars of one item: communes, hospital, figures, doctor, date.
fn slots(province: &Province, p: &Plan, rng: &mut Lcg) -> [(&'static str, String); 11] {
    let xa = province.communes[rng.below(province.communes.len())];
    let mut xa2 = province.communes[rng.below(province.communes.len())];
    if xa2 == xa {
        let at = province.communes.iter().position(|c| *c == xa).unwrap_or(0);
        xa2 = province.communes[(at + 1) % province.communes.len()];
    }
    [
        ("{xa2}", xa2.to_owned()),
        ("{xa}", xa.to_owned()),
        ("{tinh}", province.name.to_owned()),
        ("{dv}", province.unit.to_owned()),
        ("{bv}", province.hospitals[rng.below(province.hospitals.len())].to_owned()),
        ("{n}", rng.between(2, 9).to_string()),
        ("{m}", rng.between(12, 60).to_string()),
        ("{tre}", rng.between(2, 11).to_string()),
        ("{lon}", rng.between(24, 48).to_string()),
        ("{bs}", DOCTORS[rng.below(DOCTORS.len())].to_owned()),
        ("{ngay}", vietnam_date(p.at).format("%d/%m").to_string()),
    ]
}

/// Fills a frame's placeholders.
fn fill(text: &str, slots: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in slots {
        out = out.replace(key, value);
    }
    // A sentence that starts with a placeholder starts with a capital.
    let mut capital = true;
    let mut sentence = String::with_capacity(out.len());
    for c in out.chars() {
        if capital && c.is_alphabetic() {
            sentence.extend(c.to_uppercase());
            capital = false;
        } else {
            sentence.push(c);
            if c == '.' {
                capital = true;
            } else if !c.is_whitespace() {
                capital = false;
            }
        }
    }
    sentence
}

/// The history of the demo as seen at `now`.
pub fn history(now: DateTime<Utc>) -> History {
    let (plans, spike_day) = plan(now);
    let mut rng = Lcg(0x6e67_6865_6465_6d6f);
    let mut outlets: Vec<Outlet> = SOURCES
        .iter()
        .map(|s| Outlet {
            slug: s.slug.to_owned(),
            name: s.name.to_owned(),
            format: s.format.to_owned(),
            tier: s.tier.to_owned(),
            items: Vec::new(),
        })
        .collect();
    let mut labels = Vec::new();
    let mut used = std::collections::HashSet::new();
    for (incident, p) in plans.iter().enumerate() {
        let province = &PROVINCES[p.province];
        let topic = &TOPICS[p.topic];
        let frame = &topic.frames[p.frame];
        // Draw the particulars again while the headline is one already used: sixty days
        // of news never repeat a headline word for word.
        let mut attempts = 0;
        let slots = loop {
            let slots = slots(province, p, &mut rng);
            attempts += 1;
            if used.insert(fill(frame.title, &slots)) || attempts >= 16 {
                break slots;
            }
        };
        let title = fill(frame.title, &slots);
        // The lead opens with a dateline, the way Vietnamese news sites write it.
        let summary = format!("{} – {}", province.name, fill(frame.summary, &slots));
        let body = fill(frame.body, &slots);
        for (k, &s) in p.sources.iter().enumerate() {
            let source = &SOURCES[s];
            let slug = format!("{}-{}-{incident}", topic.slug, province.code);
            // Whole hours back; the renderer takes off up to another hour for the slug.
            // A second outlet has it an hour later, under its own headline and crediting
            // the first.
            let hours_ago = (now - p.at).num_minutes() / 60 - k as i64;
            let (title, body) = if k == 0 {
                (title.clone(), body.clone())
            } else {
                let first = SOURCES[p.sources[0]].name;
                (format!("{}: {title}", province.name), format!("{body}\n\nTheo {first}"))
            };
            outlets[s].items.push(Item {
                slug: slug.clone(),
                hours_ago,
                author: source.authors[rng.below(source.authors.len())].to_owned(),
                title,
                summary: summary.clone(),
                body,
            });
            labels.push(Label {
                outlet: source.slug.to_owned(),
                item: slug,
                topic: topic.rule,
                province: province.code,
                incident,
                spike: p.spike,
            });
        }
    }
    History { outlets, labels, spike_day: vietnam_date(now) + Duration::days(spike_day) }
}
