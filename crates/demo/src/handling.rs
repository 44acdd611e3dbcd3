//! The demo's handling history: sixty days of past incidents on social media, each opened
//! as an alert on its own story and handled by three fictional officers through the real
//! workflow (`Store::act` and `Store::respond` at past times), so the handling figures,
//! the alert timelines and the digest of the demo show numbers that come from events.
//!
//! The incidents are posts on imported social pages (sources of kind `import`, never
//! polled, and posts are never re-fetched by correction tracking), about real rules of the
//! shipped packs. Each rule has its own habits: chain messages are mostly dismissed as not
//! relevant or duplicates, fake documents in the name of the Department of Health are
//! always answered at once and reported to the police, complaints are often watched. The
//! officers work office hours for P2 and P3 and around the clock for P1, and fall behind in
//! the last days: a few alerts are left waiting past their deadlines today.
//!
//! Everything is drawn from a fixed-seed generator relative to `now`, so a run is
//! reproducible; a store that holds the history already is left as it is.

use chrono::{Duration, TimeZone, Utc};
use model::{
    DismissReason, DocumentPlaces, EscalationTarget, Hit, MatchedTerm, NewDocument, Post, Priority,
    ResponseChannel, Role, RuleKind, Severity, SourceKind, SourceTier, Timestamp, VN_OFFSET,
};
use store::{NewResponse, NewSource, Processed, Store};

use alerts::triage::{Actor, Command, default_priority};

/// Days of history before today.
pub const DAYS: i64 = 60;
/// Where the history's posts live: a reserved name that never resolves.
const POSTS: &str = "https://mangxahoi.example/bai";
/// Where the office's statements live.
const STATEMENTS: &str = "https://soyte.example/thong-tin";
/// The officers who handle the history: (login name, display of their shifts).
pub const OFFICERS: [&str; 3] = ["can-bo-lan", "can-bo-minh", "can-bo-hoa"];
/// A password hash no password matches: the officers exist to act, not to log in.
const NO_LOGIN: &str = "!demo";

/// The imported social pages the posts come from: (name, file, platform).
const PAGES: [(&str, &str, &str); 5] = [
    ("Nhóm Facebook “Sống khỏe mỗi ngày”", "song-khoe-moi-ngay", "facebook"),
    ("Trang Facebook “Tin nóng 24h”", "tin-nong-24h", "facebook"),
    ("Nhóm Zalo “Phụ huynh khối mầm non”", "phu-huynh-mam-non", "zalo"),
    ("Kênh TikTok “Mẹo vặt sức khỏe”", "meo-vat-suc-khoe", "tiktok"),
    ("Kênh YouTube “Bác sĩ nhà quê”", "bac-si-nha-que", "youtube"),
];

const PLACES: [&str; 8] =
    ["Hà Nội", "TP.HCM", "Đồng Nai", "Nghệ An", "Đà Nẵng", "Cần Thơ", "Thanh Hóa", "Khánh Hòa"];

/// A rule of the shipped packs and how the office tends to handle its alerts.
struct Profile {
    id: &'static str,
    title: &'static str,
    kind: RuleKind,
    severity: Severity,
    /// Posts as they were written (`{place}` filled in), each with the words the rule matched.
    posts: &'static [(&'static str, &'static str)],
    /// Out of ten decisions: how many dismissed and how many watched; the rest answered.
    dismiss: usize,
    monitor: usize,
    reasons: &'static [DismissReason],
    channel: ResponseChannel,
    response: &'static str,
    /// How often it comes up, relative to the others.
    weight: u32,
}

const PROFILES: &[Profile] = &[
    Profile {
        id: "rumor.than-duoc",
        title: "Thần dược, chữa khỏi bệnh nan y",
        kind: RuleKind::Rumor,
        severity: Severity::High,
        posts: &[
            (
                "Lá xạ đen sắc uống 7 ngày chữa khỏi ung thư gan, người dân {place} truyền tay nhau",
                "chữa khỏi ung thư",
            ),
            ("Bài thuốc từ rễ cây rừng “chữa bách bệnh” rao bán khắp {place}", "chữa bách bệnh"),
            ("Nước ép mướp đắng đánh bay tiểu đường chỉ sau 10 ngày?", "đánh bay tiểu đường"),
        ],
        dismiss: 3,
        monitor: 2,
        reasons: &[DismissReason::FalsePositive, DismissReason::Duplicate],
        channel: ResponseChannel::Facebook,
        response: "Sở Y tế khuyến cáo: chưa có bằng chứng khoa học nào cho thấy bài thuốc này chữa khỏi bệnh; người bệnh cần tiếp tục điều trị tại cơ sở y tế.",
        weight: 3,
    },
    Profile {
        id: "rumor.chong-vac-xin",
        title: "Thông tin sai lệch chống vắc xin",
        kind: RuleKind::Rumor,
        severity: Severity::High,
        posts: &[
            (
                "Tin đồn tiêm vắc xin sởi gây vô sinh lan truyền trong nhóm phụ huynh {place}",
                "vô sinh",
            ),
            (
                "Kêu gọi không cho con đi tiêm chủng mở rộng vì “vắc xin chứa chip”",
                "vắc xin chứa chip",
            ),
        ],
        dismiss: 1,
        monitor: 2,
        reasons: &[DismissReason::Duplicate],
        channel: ResponseChannel::Website,
        response: "Trung tâm Kiểm soát bệnh tật khẳng định vắc xin trong Chương trình Tiêm chủng mở rộng an toàn, không gây vô sinh; đề nghị phụ huynh đưa trẻ đi tiêm đúng lịch.",
        weight: 2,
    },
    Profile {
        id: "rumor.gia-mao-co-quan-y-te",
        title: "Văn bản giả mạo, mạo danh cơ quan y tế",
        kind: RuleKind::Rumor,
        severity: Severity::Critical,
        posts: &[
            ("Công văn giả mạo Sở Y tế {place} về việc tạm dừng tiêm vắc xin", "giả mạo Sở Y tế"),
            (
                "Tài khoản Zalo mạo danh cán bộ Sở Y tế {place} thu phí kiểm tra an toàn thực phẩm",
                "mạo danh cán bộ Sở Y tế",
            ),
        ],
        dismiss: 0,
        monitor: 0,
        reasons: &[],
        channel: ResponseChannel::PressRelease,
        response: "Sở Y tế khẳng định không ban hành văn bản và không có cán bộ nào thu phí như trên; đề nghị người dân không chia sẻ và báo ngay cho cơ quan công an.",
        weight: 1,
    },
    Profile {
        id: "rumor.tin-nhan-day-chuyen",
        title: "Tin nhắn dây chuyền gây hoang mang",
        kind: RuleKind::Rumor,
        severity: Severity::Medium,
        posts: &[
            (
                "Cảnh báo khẩn: chia sẻ ngay cho người thân về loại virus lây qua tin nhắn điện thoại",
                "chia sẻ ngay",
            ),
            (
                "Tin nhắn “gửi cho mọi người”: uống nước ấm mỗi 15 phút để diệt virus cúm",
                "gửi cho mọi người",
            ),
        ],
        dismiss: 6,
        monitor: 2,
        reasons: &[DismissReason::NotRelevant, DismissReason::Duplicate, DismissReason::NoAction],
        channel: ResponseChannel::ZaloOa,
        response: "Trung tâm Kiểm soát bệnh tật đề nghị người dân không chia sẻ tin nhắn chưa được kiểm chứng; thông tin chính thức được đăng trên Cổng thông tin của Sở Y tế.",
        weight: 3,
    },
    Profile {
        id: "rumor.ban-thuoc-online",
        title: "Bán thuốc, sản phẩm chữa bệnh qua mạng: lừa đảo, không rõ nguồn gốc",
        kind: RuleKind::Rumor,
        severity: Severity::Medium,
        posts: &[
            (
                "Livestream bán thuốc giảm cân “giảm 10 kg trong một tháng” không rõ nguồn gốc",
                "không rõ nguồn gốc",
            ),
            (
                "Trang bán thuốc qua mạng cam kết chữa khỏi gout, người mua ở {place} phản ánh bị lừa",
                "bán thuốc qua mạng",
            ),
        ],
        dismiss: 5,
        monitor: 3,
        reasons: &[DismissReason::FalsePositive, DismissReason::NotRelevant],
        channel: ResponseChannel::Website,
        response: "Sở Y tế cảnh báo người dân không mua thuốc qua mạng xã hội; thuốc chỉ được bán tại cơ sở có giấy phép, theo đơn của bác sĩ.",
        weight: 2,
    },
    Profile {
        id: "crisis.ngo-doc-tap-the",
        title: "Ngộ độc tập thể",
        kind: RuleKind::Crisis,
        severity: Severity::Critical,
        posts: &[
            (
                "Hàng chục học sinh bán trú ở {place} nhập viện nghi ngộ độc thực phẩm",
                "nghi ngộ độc",
            ),
            (
                "Nhiều công nhân ở {place} cấp cứu sau bữa ăn ca, nghi ngộ độc tập thể",
                "ngộ độc tập thể",
            ),
        ],
        dismiss: 1,
        monitor: 3,
        reasons: &[DismissReason::Duplicate],
        channel: ResponseChannel::PressRelease,
        response: "Sở Y tế thông tin: các bệnh nhân đã ổn định; đoàn kiểm tra đã lấy mẫu thực phẩm và tạm dừng hoạt động bếp ăn để làm rõ nguyên nhân.",
        weight: 2,
    },
    Profile {
        id: "crisis.phan-anh-nguoi-benh",
        title: "Phản ánh, khiếu nại của người bệnh",
        kind: RuleKind::Crisis,
        severity: Severity::Medium,
        posts: &[
            (
                "Người nhà bệnh nhân phản ánh bị nhân viên bệnh viện ở {place} quát mắng",
                "quát mắng",
            ),
            ("Bệnh nhân phản ánh phải chờ cấp cứu hơn ba giờ, bị bỏ mặc tại hành lang", "bỏ mặc"),
        ],
        dismiss: 4,
        monitor: 3,
        reasons: &[DismissReason::NoAction, DismissReason::NotRelevant],
        channel: ResponseChannel::Facebook,
        response: "Sở Y tế đã yêu cầu bệnh viện kiểm tra, làm rõ phản ánh và báo cáo kết quả; người dân có thể phản ánh qua đường dây nóng của ngành y tế.",
        weight: 3,
    },
    Profile {
        id: "crisis.thieu-thuoc-vat-tu",
        title: "Thiếu thuốc, vắc xin, vật tư, máu",
        kind: RuleKind::Crisis,
        severity: Severity::High,
        posts: &[
            (
                "Bệnh nhân chạy thận ở {place} phản ánh bệnh viện thiếu thuốc, phải tự mua ngoài",
                "thiếu thuốc",
            ),
            ("Phụ huynh lo lắng vì trạm y tế xã báo hết vắc xin 5 trong 1", "hết vắc xin"),
        ],
        dismiss: 2,
        monitor: 4,
        reasons: &[DismissReason::Duplicate, DismissReason::NoAction],
        channel: ResponseChannel::Website,
        response: "Sở Y tế cho biết thuốc và vắc xin đã được điều chuyển bổ sung; các cơ sở bảo đảm đủ cho người bệnh trong tuần tới.",
        weight: 2,
    },
    Profile {
        id: "crisis.hanh-hung-nhan-vien-y-te",
        title: "Hành hung, đe dọa nhân viên y tế",
        kind: RuleKind::Crisis,
        severity: Severity::High,
        posts: &[(
            "Clip người nhà bệnh nhân hành hung điều dưỡng tại khoa cấp cứu ở {place}",
            "hành hung điều dưỡng",
        )],
        dismiss: 1,
        monitor: 5,
        reasons: &[DismissReason::Duplicate],
        channel: ResponseChannel::Facebook,
        response: "Sở Y tế lên án hành vi bạo hành nhân viên y tế; vụ việc đã được báo cơ quan công an để xử lý theo quy định.",
        weight: 1,
    },
];

/// A small linear congruential generator: the same history on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::from(self.next()) % (hi - lo + 1)
    }
}

/// Where an alert's handling stops short, so that something is left waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    /// Nobody acknowledges it.
    New,
    /// Acknowledged and assigned, never decided.
    Decide,
    /// A response is required and never recorded.
    Respond,
}

/// One past incident.
struct Incident {
    n: usize,
    profile: &'static Profile,
    title: String,
    term: &'static str,
    opened: Timestamp,
    /// Minutes between the first post and the alert.
    lag: i64,
    /// The pages that carried it, the first one first, with minutes after the first post.
    carriers: Vec<(usize, i64)>,
    stall: Option<Stall>,
}

/// The incidents of the sixty days before `now`, oldest first.
fn plan(now: Timestamp) -> Vec<Incident> {
    let mut rng = Lcg(0x4c61_6e67_4e67_6865);
    let today = now.with_timezone(&VN_OFFSET).date_naive();
    let weights: Vec<u32> = PROFILES.iter().map(|p| p.weight).collect();
    let total: u32 = weights.iter().sum();
    let mut out = Vec::new();
    let mut stalls = [Stall::New, Stall::Decide, Stall::Respond].into_iter().cycle();
    for back in (0..=DAYS).rev() {
        let day = today - Duration::days(back);
        // The first day always has one, so the history is recognised by its first post.
        let count = if back == DAYS { 1 } else { [0, 1, 1, 1, 2, 2, 3][rng.below(7)] };
        for _ in 0..count {
            let mut x = rng.next() % total;
            let profile = PROFILES
                .iter()
                .zip(&weights)
                .find(|(_, w)| {
                    let hit = x < **w;
                    x = x.saturating_sub(**w);
                    hit
                })
                .map_or(&PROFILES[0], |(p, _)| p);
            let (template, term) = profile.posts[rng.below(profile.posts.len())];
            let title = template.replace("{place}", PLACES[rng.below(PLACES.len())]);
            let minute = rng.between(6 * 60, 22 * 60);
            let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute);
            let Some(opened) = VN_OFFSET.from_local_datetime(&local).single() else { continue };
            let opened = opened.with_timezone(&Utc);
            let lag = rng.between(5, 180);
            let first = rng.below(PAGES.len());
            let mut carriers = vec![(first, 0)];
            for k in 1..=rng.below(3) {
                carriers.push(((first + k) % PAGES.len(), rng.between(10, 120) * k as i64));
            }
            if opened + Duration::minutes(20) >= now {
                continue;
            }
            let age = now - opened;
            let stall = (Duration::hours(20) <= age && age < Duration::days(5))
                .then(|| stalls.next())
                .flatten();
            out.push(Incident { n: 0, profile, title, term, opened, lag, carriers, stall });
        }
    }
    // Incidents of a day are drawn in any order; they are numbered in time order.
    out.sort_by_key(|i| i.opened);
    for (n, i) in out.iter_mut().enumerate() {
        i.n = n;
    }
    out
}

fn post_url(n: usize, k: usize) -> String {
    format!("{POSTS}/{n}-{k}")
}

/// What the replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// The store had the history already: nothing was done.
    pub skipped: bool,
    /// Incidents opened as alerts.
    pub alerts: usize,
    /// Acknowledged.
    pub acknowledged: usize,
    /// Dismissed.
    pub dismissed: usize,
    /// Answered with an official response.
    pub responded: usize,
    /// Left open.
    pub open: usize,
}

/// Opens the incident's alert: its posts stored from their imported pages, placed in a
/// story of their own. Returns the alert's id.
async fn open(store: &Store, inc: &Incident, now: Timestamp) -> Result<Option<i64>, store::Error> {
    let p = inc.profile;
    let first_post = inc.opened - Duration::minutes(inc.lag);
    let mut groups: Vec<(NewSource, Vec<Processed>)> = Vec::new();
    for (k, &(page, after)) in inc.carriers.iter().enumerate() {
        let (name, file, platform) = PAGES[page];
        let published = first_post + Duration::minutes(after);
        // The first post is fetched when the alert opens; the others shortly after they
        // appear, and never before the first.
        let fetched =
            if k == 0 { inc.opened } else { (published + Duration::minutes(7)).max(inc.opened) };
        let title = inc.title.clone();
        let body = if k == 0 {
            format!(
                "{title}. Bài đăng được chia sẻ nhiều lần trong ngày, nhiều người hỏi thông tin có đúng không."
            )
        } else {
            format!("Đăng lại từ một trang khác: {title}. {name} kêu gọi mọi người cùng đọc.")
        };
        let start = title.find(inc.term);
        let hit = Hit {
            rule_id: p.id.into(),
            rule_title: p.title.into(),
            kind: p.kind,
            severity: p.severity,
            terms: start
                .map(|s| MatchedTerm {
                    field: "title",
                    start: s,
                    end: s + inc.term.len(),
                    term: inc.term.into(),
                })
                .into_iter()
                .collect(),
        };
        let url = post_url(inc.n, k);
        let reach = 40 + 37 * (inc.n as i64 % 50) * (k as i64 + 1);
        let doc = NewDocument {
            source_id: 0,
            url: url.clone(),
            title,
            summary: String::new(),
            body,
            author: None,
            published_at: Some(published),
            fetched_at: fetched,
            language: "vi".into(),
            content_hash: url,
            post: Some(Post {
                platform: platform.into(),
                reactions: Some(reach),
                shares: Some(reach / 7),
                comments: Some(reach / 11),
            }),
        };
        let mut processed = Processed::new(doc, vec![hit]);
        processed.places = DocumentPlaces::default();
        let source = NewSource {
            name: name.into(),
            url: format!("demo/lich-su/{file}.jsonl"),
            kind: SourceKind::Import,
            tier: SourceTier::Social,
            allow_private: false,
            ..NewSource::default()
        };
        match groups.iter_mut().find(|g| g.0.url == source.url) {
            Some(g) => g.1.push(processed),
            None => groups.push((source, vec![processed])),
        }
    }
    // A key of its own: the server's pipeline may hold the next ones in its reserved block.
    let story = store.reserve_story_keys(1).await?;
    store.import(&mut groups, now, &mut store::into_story(story)).await?;
    Ok(store.story_alerts(story).await?.into_iter().find(|a| a.rule_id == p.id).map(|a| a.id))
}

async fn officers(store: &Store, now: Timestamp) -> Result<Vec<Actor>, store::Error> {
    let mut out = Vec::new();
    for name in OFFICERS {
        let id = match store.create_user(name, NO_LOGIN, Role::Officer, now).await {
            Ok(u) => u.id,
            Err(store::Error::Conflict(_)) => match store.user_by_name(name).await? {
                Some((u, _)) => u.id,
                None => continue,
            },
            Err(e) => return Err(e),
        };
        out.push(Actor::User { id, role: Role::Officer });
    }
    Ok(out)
}

fn dismiss_note(reason: DismissReason) -> &'static str {
    match reason {
        DismissReason::NotRelevant => "Nội dung không liên quan đến công tác y tế của tỉnh.",
        DismissReason::Duplicate => "Trùng với một cảnh báo đã được xử lý trước đó.",
        DismissReason::FalsePositive => "Quy tắc bắt nhầm: bài viết chỉ nhắc lại lời khuyến cáo.",
        DismissReason::NoAction => "Thông tin đúng, đơn vị liên quan đã tự giải quyết.",
    }
}

/// Handles one alert as the officers did, every action at its own past time; stops at the
/// first action that would fall after `now`, or where the incident stalls.
async fn handle(
    store: &Store,
    inc: &Incident,
    alert: i64,
    team: &[Actor],
    rng: &mut Lcg,
    now: Timestamp,
    out: &mut Replayed,
) -> Result<(), store::Error> {
    let p = inc.profile;
    let calendar = &store.schedule().calendar;
    let mut priority = default_priority(p.kind, p.severity);
    // P1 is handled around the clock; the rest when the office is open.
    let attend = |priority: Priority, t: Timestamp| {
        if priority == Priority::P1 { t } else { calendar.next_opening(t) }
    };
    let minutes = Duration::minutes;
    let duty = team[inc.n % team.len()];
    let owner = team[(inc.n / 2 + 1) % team.len()];
    let Actor::User { id: owner_id, .. } = owner else { return Ok(()) };
    let roll = rng.below(10);
    let reason = p.reasons.get(rng.below(p.reasons.len().max(1))).copied();
    let decision = match reason {
        Some(r) if roll < p.dismiss => Command::Dismiss { reason: r },
        _ if roll < p.dismiss + p.monitor => Command::Monitor,
        _ => Command::RequireResponse,
    };
    // Duplicates and off-topic posts are often dismissed as soon as they are seen.
    if let Command::Dismiss { reason: r } = decision
        && matches!(r, DismissReason::Duplicate | DismissReason::NotRelevant)
        && rng.below(3) == 0
        && inc.stall != Some(Stall::New)
    {
        let t = attend(priority, inc.opened) + minutes(rng.between(10, 120));
        if t < now {
            store.act(alert, &decision, duty, Some(dismiss_note(r)), t).await?;
            out.dismissed += 1;
        }
        return Ok(());
    }
    if inc.stall == Some(Stall::New) {
        return Ok(());
    }
    let mut t = attend(priority, inc.opened)
        + minutes(match priority {
            Priority::P1 => rng.between(5, 45),
            Priority::P2 => rng.between(15, 150),
            Priority::P3 => rng.between(30, 600),
        });
    if t >= now {
        return Ok(());
    }
    // Complaints that turn out serious are raised to P2 when acknowledged.
    let raise = (priority == Priority::P3 && p.kind == RuleKind::Crisis && rng.below(4) == 0)
        .then_some(Priority::P2);
    store.act(alert, &Command::Acknowledge { priority: raise }, duty, None, t).await?;
    out.acknowledged += 1;
    priority = raise.unwrap_or(priority);
    if p.severity == Severity::Critical && p.kind == RuleKind::Rumor {
        t += minutes(rng.between(5, 25));
        if t >= now {
            return Ok(());
        }
        let note = "Đã chuyển Công an tỉnh xác minh tài khoản, văn bản mạo danh.";
        let escalate = Command::Escalate { to: EscalationTarget::Police };
        store.act(alert, &escalate, duty, Some(note), t).await?;
    }
    t += minutes(rng.between(3, 30));
    if t >= now {
        return Ok(());
    }
    let assign = Command::Assign { user: owner_id, role: Role::Officer };
    store.act(alert, &assign, duty, None, t).await?;
    if inc.stall == Some(Stall::Decide) {
        return Ok(());
    }
    t = attend(priority, t)
        + minutes(match priority {
            Priority::P1 => rng.between(20, 200),
            Priority::P2 => rng.between(60, 600),
            Priority::P3 => rng.between(120, 1800),
        });
    if t >= now {
        return Ok(());
    }
    let note = match decision {
        Command::Dismiss { reason } => Some(dismiss_note(reason)),
        Command::Monitor => Some("Chưa lan rộng; tiếp tục theo dõi."),
        _ => Some("Thông tin sai, có khả năng lan rộng: cần phản hồi chính thức."),
    };
    store.act(alert, &decision, owner, note, t).await?;
    match decision {
        Command::Dismiss { .. } => {
            out.dismissed += 1;
            return Ok(());
        }
        Command::Monitor => {
            t += Duration::days(rng.between(2, 10));
            if t < now {
                let note = "Không lan rộng thêm sau nhiều ngày theo dõi.";
                store.act(alert, &Command::Close, owner, Some(note), t).await?;
            }
            return Ok(());
        }
        _ => {}
    }
    if inc.stall == Some(Stall::Respond) {
        return Ok(());
    }
    t = attend(priority, t)
        + minutes(match priority {
            Priority::P1 => rng.between(60, 1200),
            Priority::P2 => rng.between(240, 1500),
            Priority::P3 => rng.between(600, 4000),
        });
    if t >= now {
        return Ok(());
    }
    let response = NewResponse {
        channel: p.channel,
        published_at: t - minutes(10),
        text: p.response.to_owned(),
        url: Some(format!("{STATEMENTS}/{}", inc.n)),
    };
    store.respond(alert, &response, owner, None, t).await?;
    out.responded += 1;
    // Correction tracking runs its fortnight, then the system closes the alert.
    t += minutes(5);
    if t < now {
        store.act(alert, &Command::Track, Actor::System, None, t).await?;
    }
    t += Duration::days(14);
    if t < now {
        let note = "Hết thời gian theo dõi cải chính.";
        store.act(alert, &Command::Close, Actor::System, Some(note), t).await?;
    }
    Ok(())
}

/// Replays the handling history of the sixty days before `now` into `store`: the officers,
/// the incidents as alerts, and every action on them at its past time; then records the
/// deadline marks of what is left open. Does nothing to a store that has it already.
pub async fn replay(store: &Store, now: Timestamp) -> Result<Replayed, store::Error> {
    if !store.known_documents(&[post_url(0, 0)]).await?.is_empty() {
        return Ok(Replayed { skipped: true, ..Replayed::default() });
    }
    let team = officers(store, now).await?;
    if team.is_empty() {
        return Ok(Replayed { skipped: true, ..Replayed::default() });
    }
    let mut rng = Lcg(0x7869_6c79_2d6c_7920);
    let mut out = Replayed::default();
    for inc in plan(now) {
        let Some(alert) = open(store, &inc, now).await? else { continue };
        out.alerts += 1;
        handle(store, &inc, alert, &team, &mut rng, now, &mut out).await?;
        if store.alert(alert).await?.state.is_open() {
            out.open += 1;
        }
    }
    store.record_deadlines(now).await?;
    tracing::info!(
        n_alerts = out.alerts,
        n_acknowledged = out.acknowledged,
        n_responded = out.responded,
        n_open = out.open,
        "Demo handling history replayed."
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_post_shows_the_words_its_rule_matched() {
        for p in PROFILES {
            for (template, term) in p.posts {
                assert!(template.contains(term), "{}: {template}", p.id);
            }
            assert!(p.dismiss + p.monitor <= 10, "{}", p.id);
            assert!(p.dismiss == 0 || !p.reasons.is_empty(), "{}", p.id);
        }
    }

    #[test]
    fn the_plan_spans_sixty_days_in_order_and_leaves_recent_work_waiting() {
        let now = Utc.with_ymd_and_hms(2026, 12, 9, 3, 0, 0).single().unwrap_or_default();
        let plan = plan(now);
        assert!(plan.len() >= 60, "{}", plan.len());
        assert!(plan.windows(2).all(|w| w[0].opened <= w[1].opened));
        assert!(now - plan[0].opened >= Duration::days(DAYS - 1));
        assert!(plan.iter().all(|i| i.opened < now));
        let stalled: Vec<Stall> = plan.iter().filter_map(|i| i.stall).collect();
        assert!(stalled.len() >= 3, "{stalled:?}");
        let again = super::plan(now);
        assert_eq!(
            plan.iter().map(|i| (&i.title, i.opened)).collect::<Vec<_>>(),
            again.iter().map(|i| (&i.title, i.opened)).collect::<Vec<_>>()
        );
    }
}
