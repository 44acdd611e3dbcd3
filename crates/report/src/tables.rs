//! The report laid out as tables, one per sheet, in the order and with the Vietnamese
//! names of the export specification (`1_TongHop` … `8_DinhNghia`): every output (the
//! workbook, the CSV file, the printable page) writes these same tables, so the three never
//! disagree on a figure.

use chrono::{Duration, NaiveDate};
use model::report::{
    ActivityRow, ComplianceRow, CorrectionFigures, Deadline, DurationFigure, Indicator, ReportData,
};
use model::{Priority, RuleKind, SourceTier, Timestamp};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (a figure that cannot be computed, or was not entered).
    Empty,
    /// Text.
    Text(String),
    /// A count.
    Int(i64),
    /// A measure with this many decimals: hours, per cent.
    Dec(f64, u8),
    /// A Vietnam day.
    Date(NaiveDate),
    /// An instant, shown in Vietnam time.
    Time(Timestamp),
}

impl Cell {
    /// Text from anything that reads as text.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A count from any integer that fits.
    pub fn int(n: impl TryInto<i64>) -> Cell {
        n.try_into().map_or(Cell::Empty, Cell::Int)
    }

    /// A measure with one decimal, or nothing.
    pub fn dec(v: Option<f64>) -> Cell {
        v.filter(|v| v.is_finite()).map_or(Cell::Empty, |v| Cell::Dec(v, 1))
    }

    /// A duration in hours, with one decimal, or nothing.
    pub fn hours(d: Option<Duration>) -> Cell {
        Cell::dec(d.map(|d| d.num_milliseconds() as f64 / 3_600_000.0))
    }

    /// The number it holds, if any.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(n) => Some(*n as f64),
            Cell::Dec(v, _) => Some(*v),
            _ => None,
        }
    }
}

/// A column: its header and its width in characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header.
    pub header: String,
    /// Its width in the workbook, in characters.
    pub width: f64,
}

fn col(header: &str, width: f64) -> Column {
    Column { header: header.to_owned(), width }
}

/// Which of the three parts of the work a table reports on, for headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The summary.
    Summary,
    /// What was published.
    Grasp,
    /// Alerts and their handling.
    Handle,
    /// Responses, corrections and health days.
    Provide,
    /// The office's own counts.
    Activity,
    /// Definitions.
    About,
}

/// One table: a sheet of the workbook, a block of the CSV file, a section of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name (at most 31 characters, as spreadsheets allow).
    pub name: &'static str,
    /// Its title.
    pub title: String,
    /// Its part of the work.
    pub group: Group,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each as wide as the columns.
    pub rows: Vec<Vec<Cell>>,
    /// A total row, when the rows add up.
    pub total: Option<Vec<Cell>>,
    /// What to know when reading it.
    pub note: Option<String>,
}

/// The Vietnamese name of an alert or rule kind.
pub fn kind_label(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn, tin sai",
        RuleKind::Watch => "Theo dõi đơn vị",
        RuleKind::Crisis => "Khủng hoảng, sự cố",
        RuleKind::Spike => "Tăng đột biến",
        RuleKind::Suspicion => "Nghi vấn tin giả",
    }
}

/// The Vietnamese name of a tier of sources.
pub fn tier_label(t: SourceTier) -> &'static str {
    match t {
        SourceTier::Official => "Cổng thông tin chính thống",
        SourceTier::Press => "Báo chí",
        SourceTier::Aggregator => "Trang tổng hợp tin",
        SourceTier::Social => "Mạng xã hội",
    }
}

fn short_priority(p: Priority) -> &'static str {
    match p {
        Priority::P1 => "P1",
        Priority::P2 => "P2",
        Priority::P3 => "P3",
    }
}

/// A month as the tables name it: "Tháng 03/2026".
pub fn month_label(year: i32, month: u32) -> String {
    format!("Tháng {month:02}/{year}")
}

fn sum(rows: &[Vec<Cell>], column: usize) -> Cell {
    let mut total = 0_i64;
    for r in rows {
        if let Some(Cell::Int(n)) = r.get(column) {
            total += n;
        }
    }
    Cell::Int(total)
}

fn percent(part: usize, whole: usize) -> Cell {
    Cell::dec((whole > 0).then(|| 100.0 * part as f64 / whole as f64))
}

/// A summary value as a cell: counts as integers, hours and shares with one decimal.
fn value_cell(i: &Indicator, v: Option<f64>) -> Cell {
    match v {
        Some(v) if i.unit == "giờ" || i.unit == "%" || v.fract() != 0.0 => Cell::Dec(v, 1),
        Some(v) => Cell::Int(v.round() as i64),
        None => Cell::Empty,
    }
}

fn summary(d: &ReportData) -> Table {
    Table {
        name: "1_TongHop",
        title: "Tổng hợp chỉ số của kỳ báo cáo".to_owned(),
        group: Group::Summary,
        columns: vec![
            col("Mã chỉ số", 10.0),
            col("Nhóm", 30.0),
            col("Chỉ số", 52.0),
            col("Đơn vị", 12.0),
            col("Kỳ này", 12.0),
            col("Kỳ trước", 12.0),
            col("Thay đổi (%)", 13.0),
        ],
        rows: d
            .summary
            .iter()
            .map(|i| {
                vec![
                    Cell::text(i.code),
                    Cell::text(i.part.label()),
                    Cell::text(&i.name),
                    Cell::text(i.unit),
                    value_cell(i, i.value),
                    value_cell(i, i.previous),
                    Cell::dec(i.change_percent()),
                ]
            })
            .collect(),
        total: None,
        note: Some(format!("Kỳ trước: {}.", d.previous.label)),
    }
}

fn by_month(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_month
        .iter()
        .map(|m| {
            vec![
                Cell::text(month_label(m.year, m.month)),
                Cell::Int(m.documents),
                Cell::Int(m.sightings),
                Cell::Int(m.new_stories),
            ]
        })
        .collect();
    let total = vec![Cell::text("Tổng"), sum(&rows, 1), sum(&rows, 2), sum(&rows, 3)];
    Table {
        name: "2_TinBai_Thang",
        title: "Tin bài theo tháng".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Tháng", 16.0),
            col("Tin bài", 12.0),
            col("Lượt đăng (kể cả đăng lại)", 16.0),
            col("Câu chuyện mới", 14.0),
        ],
        rows,
        total: Some(total),
        note: Some(
            "Một tin bài được đếm một lần dù nhiều trang đăng lại; mỗi lần một trang đăng \
             (kể cả bản sao) là một lượt đăng. Tháng đầu và tháng cuối chỉ tính những ngày \
             thuộc kỳ báo cáo."
                .to_owned(),
        ),
    }
}

fn by_tier(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_tier
        .iter()
        .map(|t| {
            vec![
                Cell::text(tier_label(t.tier)),
                Cell::Int(t.outlets),
                Cell::Int(t.documents),
                Cell::Int(t.sightings),
            ]
        })
        .collect();
    let total = vec![Cell::text("Tổng"), sum(&rows, 1), sum(&rows, 2), sum(&rows, 3)];
    Table {
        name: "2_TinBai_LoaiNguon",
        title: "Tin bài theo loại nguồn".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Loại nguồn", 30.0),
            col("Số nguồn có tin", 14.0),
            col("Tin bài đăng đầu tiên", 16.0),
            col("Lượt đăng", 12.0),
        ],
        rows,
        total: Some(total),
        note: None,
    }
}

fn by_outlet(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_outlet
        .iter()
        .map(|o| {
            vec![
                Cell::text(&o.name),
                Cell::text(tier_label(o.tier)),
                Cell::Int(o.documents),
                Cell::Int(o.sightings),
            ]
        })
        .collect();
    let total = vec![Cell::text("Tổng"), Cell::Empty, sum(&rows, 2), sum(&rows, 3)];
    Table {
        name: "2_TinBai_Nguon",
        title: "Tin bài theo nguồn tin".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Nguồn tin", 44.0),
            col("Loại nguồn", 26.0),
            col("Tin bài đăng đầu tiên", 16.0),
            col("Lượt đăng (kể cả đăng lại)", 16.0),
        ],
        rows,
        total: Some(total),
        note: Some(
            "Tin bài đăng đầu tiên: những bài mà nguồn này đăng trước; lượt đăng gồm cả bài \
             đăng lại của nguồn khác."
                .to_owned(),
        ),
    }
}

fn by_topic(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_topic
        .iter()
        .map(|t| {
            vec![
                Cell::text(&t.title),
                Cell::text(&t.rule_id),
                Cell::Int(t.documents),
                Cell::Int(t.sightings),
                Cell::Int(t.stories),
            ]
        })
        .collect();
    let total = vec![
        Cell::text("Tổng lượt gắn chủ đề"),
        Cell::Empty,
        sum(&rows, 2),
        sum(&rows, 3),
        sum(&rows, 4),
    ];
    Table {
        name: "3_ChuDe",
        title: "Tin bài theo chủ đề".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Chủ đề", 40.0),
            col("Mã quy tắc", 28.0),
            col("Tin bài", 12.0),
            col("Lượt đăng", 12.0),
            col("Câu chuyện", 12.0),
        ],
        rows,
        total: Some(total),
        note: Some(format!(
            "Một tin bài có thể thuộc nhiều chủ đề, nên tổng lượt gắn chủ đề có thể lớn hơn \
             số tin bài có chủ đề ({} tin bài).",
            d.items.with_topic
        )),
    }
}

fn by_province(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_province
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.name),
                p.code.as_deref().map_or(Cell::Empty, Cell::text),
                Cell::Int(p.documents),
                Cell::Int(p.stories),
            ]
        })
        .collect();
    let total = vec![Cell::text("Tổng"), Cell::Empty, sum(&rows, 2), Cell::Empty];
    Table {
        name: "3_DiaBan",
        title: "Tin bài theo địa bàn (tỉnh, thành phố)".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Địa bàn", 30.0),
            col("Mã", 8.0),
            col("Tin bài", 12.0),
            col("Câu chuyện", 12.0),
        ],
        rows,
        total: Some(total),
        note: Some(
            "Địa bàn của tin bài là tỉnh, thành phố (34 đơn vị từ 01/07/2025) mà bài viết nói \
             đến; nguồn tin của một tỉnh được tính cho tỉnh đó khi bài không nêu địa danh. Một \
             câu chuyện có thể được kể ở nhiều địa bàn, nên số câu chuyện không cộng dồn."
                .to_owned(),
        ),
    }
}

fn topic_province(d: &ReportData) -> Table {
    // The provinces with any topic document, in the order of the province table.
    let mut codes: Vec<Option<&str>> = Vec::new();
    for p in &d.items.by_province {
        let code = p.code.as_deref();
        if d.items.topic_province.iter().any(|(_, c, n)| c.as_deref() == code && *n > 0) {
            codes.push(code);
        }
    }
    let name_of = |code: Option<&str>| {
        d.items
            .by_province
            .iter()
            .find(|p| p.code.as_deref() == code)
            .map_or_else(|| code.unwrap_or("Chưa xác định").to_owned(), |p| p.name.clone())
    };
    let mut columns = vec![col("Chủ đề", 40.0)];
    columns.extend(codes.iter().map(|c| col(&name_of(*c), 12.0)));
    columns.push(col("Tổng", 10.0));
    let rows: Vec<Vec<Cell>> = d
        .items
        .by_topic
        .iter()
        .map(|t| {
            let mut row = vec![Cell::text(&t.title)];
            let mut total = 0;
            for code in &codes {
                let n = d
                    .items
                    .topic_province
                    .iter()
                    .find(|(r, c, _)| *r == t.rule_id && c.as_deref() == *code)
                    .map_or(0, |x| x.2);
                total += n;
                row.push(Cell::Int(n));
            }
            row.push(Cell::Int(total));
            row
        })
        .collect();
    let mut total = vec![Cell::text("Tổng")];
    total.extend((1..=codes.len() + 1).map(|i| sum(&rows, i)));
    Table {
        name: "3_ChuDe_DiaBan",
        title: "Tin bài theo chủ đề và địa bàn".to_owned(),
        group: Group::Grasp,
        columns,
        rows,
        total: Some(total),
        note: Some("Mỗi ô là số tin bài của chủ đề về địa bàn đó.".to_owned()),
    }
}

fn top_stories(d: &ReportData) -> Table {
    Table {
        name: "3_CauChuyen",
        title: "Câu chuyện được nhiều nguồn đăng nhất".to_owned(),
        group: Group::Grasp,
        columns: vec![
            col("Câu chuyện", 60.0),
            col("Nguồn đăng đầu tiên", 30.0),
            col("Địa bàn", 18.0),
            col("Xuất hiện lần đầu", 18.0),
            col("Số nguồn", 10.0),
            col("Tin bài", 10.0),
            col("Lượt đăng", 10.0),
        ],
        rows: d
            .items
            .top_stories
            .iter()
            .map(|s| {
                vec![
                    Cell::text(&s.title),
                    Cell::text(&s.origin),
                    s.province.as_deref().map_or(Cell::Empty, Cell::text),
                    Cell::Time(s.first_seen),
                    Cell::Int(s.outlets),
                    Cell::Int(s.documents),
                    Cell::Int(s.sightings),
                ]
            })
            .collect(),
        total: None,
        note: Some("Các câu chuyện xuất hiện lần đầu trong kỳ, xếp theo số nguồn đăng.".to_owned()),
    }
}

fn alert_kinds(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .alerts
        .by_kind
        .iter()
        .map(|k| {
            let mut row = vec![Cell::text(kind_label(k.kind)), Cell::int(k.opened)];
            row.extend(k.by_priority.iter().map(|&n| Cell::int(n)));
            row
        })
        .collect();
    let mut total = vec![Cell::text("Tổng")];
    total.extend((1..=4).map(|i| sum(&rows, i)));
    Table {
        name: "4_CanhBao_Loai",
        title: "Cảnh báo mới theo loại và mức ưu tiên".to_owned(),
        group: Group::Handle,
        columns: vec![
            col("Loại cảnh báo", 28.0),
            col("Cảnh báo mới", 13.0),
            col("P1 – Khẩn cấp", 13.0),
            col("P2 – Cao", 13.0),
            col("P3 – Bình thường", 15.0),
        ],
        rows,
        total: Some(total),
        note: Some("Mức ưu tiên hiện tại của cảnh báo.".to_owned()),
    }
}

fn alert_outcomes(d: &ReportData) -> Table {
    let a = &d.alerts;
    let mut rows = Vec::new();
    let mut add = |group: &str, item: &str, n: usize| {
        rows.push(vec![Cell::text(group), Cell::text(item), Cell::int(n)]);
    };
    for (label, n) in [
        ("Cảnh báo mới", a.opened),
        ("Đã tiếp nhận", a.acknowledged),
        ("Đã quyết định", a.decided),
        ("Đã bỏ qua", a.dismissed),
        ("Đã phản hồi", a.responded),
        ("Đã đóng", a.closed),
    ] {
        add("Xử lý trong kỳ", label, n);
    }
    for &(p, n) in &a.by_priority {
        add("Cảnh báo mới theo mức ưu tiên", p.label(), n);
    }
    for &(s, n) in &a.by_state {
        add("Trạng thái cuối kỳ của cảnh báo mới", s.label(), n);
    }
    for &(r, n) in &a.dismiss_reasons {
        add("Lý do bỏ qua", r.label(), n);
    }
    for &(t, n) in &a.escalations {
        add("Báo cáo cấp trên (lượt)", t.label(), n);
    }
    Table {
        name: "4_CanhBao",
        title: "Cảnh báo: xử lý, mức ưu tiên, kết quả".to_owned(),
        group: Group::Handle,
        columns: vec![col("Nhóm", 36.0), col("Mục", 34.0), col("Số lượng", 12.0)],
        rows,
        total: None,
        note: Some(
            "Xử lý trong kỳ: số cảnh báo có việc đó xảy ra trong kỳ (một cảnh báo mở từ kỳ \
             trước vẫn được tính). Trạng thái cuối kỳ: trạng thái lúc kết thúc kỳ của các \
             cảnh báo mới trong kỳ."
                .to_owned(),
        ),
    }
}

fn alert_rules(d: &ReportData) -> Table {
    Table {
        name: "4_CanhBao_QuyTac",
        title: "Cảnh báo theo quy tắc phát hiện".to_owned(),
        group: Group::Handle,
        columns: vec![
            col("Quy tắc", 44.0),
            col("Mã quy tắc", 30.0),
            col("Loại", 20.0),
            col("Cảnh báo mới", 12.0),
            col("Đã quyết định", 12.0),
            col("Bị bỏ qua", 12.0),
            col("Tỷ lệ bỏ qua (%)", 14.0),
        ],
        rows: d
            .alerts
            .by_rule
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.title),
                    Cell::text(&r.rule_id),
                    Cell::text(kind_label(r.kind)),
                    Cell::int(r.opened),
                    Cell::int(r.decided),
                    Cell::int(r.dismissed),
                    percent(r.dismissed, r.decided),
                ]
            })
            .collect(),
        total: None,
        note: Some(
            "Tỷ lệ bỏ qua cao cho thấy quy tắc cần được điều chỉnh để bớt cảnh báo nhầm."
                .to_owned(),
        ),
    }
}

fn duration_row(label: &str, help: &str, f: &DurationFigure) -> Vec<Cell> {
    vec![
        Cell::text(label),
        Cell::text(help),
        Cell::int(f.count),
        Cell::hours(f.median),
        Cell::hours(f.p90),
    ]
}

fn times(d: &ReportData) -> Table {
    let h = &d.handling;
    Table {
        name: "4_XuLy_ThoiGian",
        title: "Thời gian xử lý cảnh báo".to_owned(),
        group: Group::Handle,
        columns: vec![
            col("Chỉ số", 28.0),
            col("Cách tính", 60.0),
            col("Số cảnh báo", 12.0),
            col("Trung vị (giờ)", 14.0),
            col("Phân vị 90 (giờ)", 15.0),
        ],
        rows: vec![
            duration_row(
                "Thời gian phát hiện",
                "Từ khi bài đầu tiên của câu chuyện được đăng đến khi cảnh báo được tạo.",
                &h.ttd,
            ),
            duration_row(
                "Thời gian tiếp nhận",
                "Từ khi cảnh báo được tạo đến lần tiếp nhận đầu tiên.",
                &h.tta,
            ),
            duration_row(
                "Thời gian quyết định",
                "Từ lần tiếp nhận đầu tiên đến quyết định đầu tiên (theo dõi, phản hồi, bỏ qua).",
                &h.ttdec,
            ),
            duration_row(
                "Thời gian phản hồi",
                "Từ khi cảnh báo được tạo đến phản hồi chính thức đầu tiên.",
                &h.ttr,
            ),
            duration_row(
                "Phản hồi tính từ bài gốc",
                "Từ khi bài đầu tiên của câu chuyện được đăng đến phản hồi chính thức đầu tiên.",
                &h.ttr_origin,
            ),
        ],
        total: None,
        note: Some(
            "Mỗi thời gian được tính trong kỳ mà việc kết thúc nó (tiếp nhận, quyết định, phản \
             hồi) xảy ra."
                .to_owned(),
        ),
    }
}

fn compliance_row(month: &str, c: &ComplianceRow) -> Vec<Cell> {
    vec![
        Cell::text(month),
        Cell::text(short_priority(c.priority)),
        Cell::text(c.deadline.label()),
        Cell::int(c.met),
        Cell::int(c.missed),
        Cell::dec(c.percent()),
    ]
}

fn compliance(d: &ReportData) -> Table {
    let h = &d.handling;
    let mut rows: Vec<Vec<Cell>> =
        h.compliance.iter().map(|c| compliance_row("Cả kỳ", c)).collect();
    for c in &h.compliance_by_month {
        let (y, m) = c.month.unwrap_or((0, 0));
        rows.push(compliance_row(&month_label(y, m), c));
    }
    let whole: Vec<Vec<Cell>> = rows[..h.compliance.len()].to_vec();
    let (met, missed) = h.compliance.iter().fold((0, 0), |(a, b), c| (a + c.met, b + c.missed));
    let total = vec![
        Cell::text("Tổng cả kỳ"),
        Cell::Empty,
        Cell::Empty,
        sum(&whole, 3),
        sum(&whole, 4),
        percent(met, met + missed),
    ];
    Table {
        name: "4_XuLy_DungHan",
        title: "Tuân thủ thời hạn xử lý theo mức ưu tiên và tháng".to_owned(),
        group: Group::Handle,
        columns: vec![
            col("Tháng", 16.0),
            col("Mức ưu tiên", 12.0),
            col("Thời hạn", 14.0),
            col("Đúng hạn", 11.0),
            col("Trễ hạn", 11.0),
            col("Tỷ lệ đúng hạn (%)", 16.0),
        ],
        rows,
        total: Some(total),
        note: Some(
            "Một thời hạn được tính vào tháng mà kết quả của nó được biết: khi việc được làm, \
             hoặc khi đến hạn mà chưa làm."
                .to_owned(),
        ),
    }
}

fn backlog(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .handling
        .backlog
        .iter()
        .map(|b| vec![Cell::text(b.state.label()), Cell::int(b.count), Cell::int(b.overdue)])
        .collect();
    let total = vec![Cell::text("Tổng"), sum(&rows, 1), sum(&rows, 2)];
    Table {
        name: "4_TonDong",
        title: "Cảnh báo còn mở khi kết thúc kỳ".to_owned(),
        group: Group::Handle,
        columns: vec![col("Trạng thái", 28.0), col("Đang mở", 12.0), col("Quá hạn", 12.0)],
        rows,
        total: Some(total),
        note: None,
    }
}

fn coverage_cells(c: Option<&CorrectionFigures>) -> [Cell; 4] {
    match c {
        Some(c) => [
            Cell::text(format!("{}/{}", c.remedied, c.outlets)),
            Cell::dec(c.coverage_percent()),
            Cell::dec(c.correction_percent()),
            Cell::dec(c.reach_weighted.map(|r| 100.0 * r)),
        ],
        None => [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
    }
}

fn rumours(d: &ReportData) -> Table {
    Table {
        name: "5_TinDon_TinGia",
        title: "Tin đồn, tin sai đã xử lý".to_owned(),
        group: Group::Provide,
        columns: vec![
            col("Mã cảnh báo", 11.0),
            col("Tin đồn (quy tắc)", 40.0),
            col("Câu chuyện", 50.0),
            col("Phát hiện lúc", 18.0),
            col("Nguồn đăng đầu tiên", 28.0),
            col("Số nguồn", 9.0),
            col("Mức ưu tiên", 11.0),
            col("Trạng thái cuối kỳ", 20.0),
            col("Tiếp nhận sau (giờ)", 14.0),
            col("Phản hồi sau (giờ)", 14.0),
            col("Kênh phản hồi", 22.0),
            col("Địa chỉ phản hồi", 40.0),
            col("Nguồn đã khắc phục", 14.0),
            col("Độ phủ khắc phục (%)", 14.0),
            col("Độ phủ cải chính (%)", 14.0),
            col("Độ phủ theo lượt tiếp cận (%)", 16.0),
        ],
        rows: d
            .rumours
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::Int(r.alert_id),
                    Cell::text(&r.rule_title),
                    r.story_title.as_deref().map_or(Cell::Empty, Cell::text),
                    Cell::Time(r.opened_at),
                    r.origin.as_deref().map_or(Cell::Empty, Cell::text),
                    r.outlets.map_or(Cell::Empty, Cell::Int),
                    Cell::text(short_priority(r.priority)),
                    Cell::text(r.state.label()),
                    Cell::hours(r.tta),
                    Cell::hours(r.ttr),
                    r.first_response.as_ref().map_or(Cell::Empty, |(c, _)| Cell::text(c.label())),
                    r.first_response
                        .as_ref()
                        .and_then(|(_, u)| u.as_deref())
                        .map_or(Cell::Empty, Cell::text),
                ];
                row.extend(coverage_cells(r.correction.as_ref()));
                row
            })
            .collect(),
        total: None,
        note: Some(
            "Các cảnh báo tin đồn và nghi vấn tin giả được phát hiện hoặc xử lý trong kỳ. Độ \
             phủ khắc phục: số nguồn đã đăng cải chính, đăng phản hồi chính thức hoặc gỡ, sửa \
             bài trên số nguồn đã đăng tin; tính đến lúc lập báo cáo."
                .to_owned(),
        ),
    }
}

fn channels(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .responses
        .by_channel
        .iter()
        .map(|(c, n)| vec![Cell::text(c.label()), Cell::int(*n)])
        .collect();
    let total = vec![Cell::text("Tổng"), sum(&rows, 1)];
    Table {
        name: "6_PhanHoi_Kenh",
        title: "Phản hồi chính thức theo hình thức".to_owned(),
        group: Group::Provide,
        columns: vec![col("Hình thức", 34.0), col("Số phản hồi", 12.0)],
        rows,
        total: Some(total),
        note: Some(
            "Các hình thức cung cấp thông tin cho báo chí theo Nghị định 09/2017/NĐ-CP; một \
             phản hồi được tính vào kỳ mà nó được đăng."
                .to_owned(),
        ),
    }
}

fn responses(d: &ReportData) -> Table {
    Table {
        name: "6_PhanHoi",
        title: "Phản hồi chính thức đã đăng".to_owned(),
        group: Group::Provide,
        columns: vec![
            col("Ngày đăng", 18.0),
            col("Hình thức", 24.0),
            col("Mã cảnh báo", 11.0),
            col("Tin đồn, sự việc (quy tắc)", 36.0),
            col("Nội dung", 70.0),
            col("Địa chỉ", 40.0),
        ],
        rows: d
            .responses
            .list
            .iter()
            .map(|r| {
                vec![
                    Cell::Time(r.published_at),
                    Cell::text(r.channel.label()),
                    Cell::Int(r.alert_id),
                    Cell::text(&r.rule_title),
                    Cell::text(&r.text),
                    r.url.as_deref().map_or(Cell::Empty, Cell::text),
                ]
            })
            .collect(),
        total: None,
        note: None,
    }
}

fn health_days(d: &ReportData) -> Table {
    let rows: Vec<Vec<Cell>> = d
        .health_days
        .iter()
        .map(|h| {
            vec![
                Cell::text(&h.title),
                Cell::Date(h.first),
                Cell::Date(h.last),
                Cell::int(h.rules),
                Cell::Int(h.documents),
                Cell::Int(h.stories),
                Cell::Int(h.outlets),
            ]
        })
        .collect();
    Table {
        name: "6_NgaySucKhoe",
        title: "Ngày sức khỏe, chiến dịch trong kỳ và mức độ đưa tin".to_owned(),
        group: Group::Provide,
        columns: vec![
            col("Ngày, chiến dịch", 50.0),
            col("Từ ngày", 12.0),
            col("Đến ngày", 12.0),
            col("Chủ đề liên quan", 14.0),
            col("Tin bài", 10.0),
            col("Câu chuyện", 10.0),
            col("Số nguồn", 10.0),
        ],
        rows,
        total: None,
        note: Some(
            "Tin bài của các chủ đề liên quan được đăng trong những ngày diễn ra (theo lịch \
             trong các gói quy tắc)."
                .to_owned(),
        ),
    }
}

fn activity_row(a: &ActivityRow) -> Vec<Cell> {
    let e = a.entry.as_ref();
    vec![
        Cell::text(a.indicator.as_str()),
        Cell::text(a.indicator.label()),
        Cell::text(a.indicator.unit()),
        e.map_or(Cell::Empty, |e| Cell::Int(e.value)),
        a.previous.map_or(Cell::Empty, Cell::Int),
        e.map_or(Cell::Empty, |e| Cell::text(&e.note)),
        e.and_then(|e| e.author.as_deref()).map_or(Cell::Empty, Cell::text),
        e.map_or(Cell::Empty, |e| Cell::Time(e.updated_at)),
    ]
}

fn activity(d: &ReportData) -> Table {
    Table {
        name: "7_HoatDongTT",
        title: "Hoạt động truyền thông của đơn vị (số liệu đơn vị nhập)".to_owned(),
        group: Group::Activity,
        columns: vec![
            col("Mã", 14.0),
            col("Hoạt động", 50.0),
            col("Đơn vị tính", 12.0),
            col("Kỳ này", 12.0),
            col("Kỳ trước", 12.0),
            col("Ghi chú", 40.0),
            col("Người nhập", 16.0),
            col("Cập nhật", 18.0),
        ],
        rows: d.activity.iter().map(activity_row).collect(),
        total: None,
        note: Some(
            "Đơn vị nhập các số liệu này trên trang Báo cáo cho đúng kỳ báo cáo; ô trống là \
             chưa nhập."
                .to_owned(),
        ),
    }
}

fn about(d: &ReportData) -> Table {
    let mut rows: Vec<Vec<Cell>> =
        d.definitions.iter().map(|(k, v)| vec![Cell::text(k), Cell::text(v)]).collect();
    for i in &d.summary {
        rows.push(vec![Cell::text(format!("{} – {}", i.code, i.name)), Cell::text(i.definition)]);
    }
    Table {
        name: "8_DinhNghia",
        title: "Định nghĩa, phiên bản dữ liệu".to_owned(),
        group: Group::About,
        columns: vec![col("Mục", 48.0), col("Nội dung", 100.0)],
        rows,
        total: None,
        note: None,
    }
}

/// Every table of the report, in sheet order.
pub fn tables(d: &ReportData) -> Vec<Table> {
    vec![
        summary(d),
        by_month(d),
        by_tier(d),
        by_outlet(d),
        by_topic(d),
        by_province(d),
        topic_province(d),
        top_stories(d),
        alert_kinds(d),
        alert_outcomes(d),
        alert_rules(d),
        times(d),
        compliance(d),
        backlog(d),
        rumours(d),
        channels(d),
        responses(d),
        health_days(d),
        activity(d),
        about(d),
    ]
}

/// The names of every sheet, in order.
pub const SHEETS: [&str; 20] = [
    "1_TongHop",
    "2_TinBai_Thang",
    "2_TinBai_LoaiNguon",
    "2_TinBai_Nguon",
    "3_ChuDe",
    "3_DiaBan",
    "3_ChuDe_DiaBan",
    "3_CauChuyen",
    "4_CanhBao_Loai",
    "4_CanhBao",
    "4_CanhBao_QuyTac",
    "4_XuLy_ThoiGian",
    "4_XuLy_DungHan",
    "4_TonDong",
    "5_TinDon_TinGia",
    "6_PhanHoi_Kenh",
    "6_PhanHoi",
    "6_NgaySucKhoe",
    "7_HoatDongTT",
    "8_DinhNghia",
];

/// A deadline's short name, as the compliance chart labels it.
pub(crate) fn compliance_label(p: Priority, deadline: Deadline) -> String {
    format!("{} · {}", short_priority(p), deadline.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_spreadsheets() {
        for name in SHEETS {
            assert!(name.chars().count() <= 31, "{name}");
            assert!(!name.contains(['[', ']', ':', '*', '?', '/', '\\']), "{name}");
        }
        let mut sorted = SHEETS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), SHEETS.len());
    }

    #[test]
    fn durations_are_hours_with_one_decimal() {
        assert_eq!(Cell::hours(Some(Duration::minutes(90))), Cell::Dec(1.5, 1));
        assert_eq!(Cell::hours(None), Cell::Empty);
        assert_eq!(Cell::dec(Some(f64::NAN)), Cell::Empty);
    }
}
