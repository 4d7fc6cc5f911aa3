//! Campaign settings: what is the same on every page of a run.

use std::path::Path;

use crate::shared::date::Date;
use crate::shared::fault::{Fault, Place};

/// The settings file looked for next to the roster.
pub(crate) const SETTINGS_FILE: &str = "zoufang.toml";

/// The settings file `init` writes: every setting, its default, what it does.
pub(crate) const DEFAULT_SETTINGS_FILE: &str = r#"# zoufang 设置文件。放在名单工作簿旁边（或用 --config 指定）。
# 每一项都可以删掉，删掉即用等号后面的默认值。

# 活动名称：印在联系卡正面顶部（后面自动加“联系卡”）
campaign_title = "“三大一实干”活动大走访"

# 活动年度：附件1 中“2016年……”各行印为上一年
campaign_year = 2017

# 监督服务热线：印在联系卡正面；空着则不印
hotline = ""

# 联系卡二维码：vcard 为电子名片（手机相机扫码可保存联系人）；
# 也可以写网址模板，{编号} 处填干部编号，例如 "https://example.gov.cn/c/{编号}"
qr = "vcard"

# 名单中“走访户数”空着时，每名干部印多少张入户调查表
default_quota = 30

# 少于这个户数时提醒（通知要求每名干部走访不少于30户）
minimum_quota = 30

# 附件4 问题清单每页几行、每名干部印几页
problem_rows_per_page = 14
problem_pages = 1

# 走访开始的日期：录入表里早于这一天的走访日期当作填错（不填为活动年度的3月1日）
campaign_start = "2017-03-01"

# 每周交表的宽限天数：各单位一般在一周结束后才交这一周的表。某一周的交表期从这一周的星期一往后推这么多天，
# 到星期日往后推这么多天为止（3 天：星期四至下周三收到的，算这一周交的；下周一至周三收到的算上一周）
report_grace_days = 3

# 印在 PDF 里的文件日期：固定下来，同样的名单每次生成的文件完全相同
document_date = "2017-03-04"

# PDF 标准：空着为普通 PDF；写 "a-2b" 生成便于长期存档的 PDF/A-2b
pdf_standard = ""
"#;

/// Settings of a run. Every field has a default that matches the 2017 notice.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The campaign's name as printed on cards and titles.
    pub campaign_title: String,
    /// The campaign year; the annex-1 rows about "the year before" use `campaign_year - 1`.
    pub campaign_year: i32,
    /// Household forms per cadre when the roster leaves 走访户数 blank.
    pub default_quota: u32,
    /// The notice's minimum households per cadre (§一.2); fewer is a warning.
    pub minimum_quota: u32,
    /// Writing rows on each annex-4 page.
    pub problem_rows_per_page: u32,
    /// Annex-4 pages in every cadre's kit.
    pub problem_pages: u32,
    /// The date stamped into PDFs (year, month, day), for identical output on every run.
    pub document_date: Date,
    /// The first day of the visits: a visit dated before it is a typing error.
    /// None: 1 March of the campaign year (the notice's visits run from March).
    pub campaign_start: Option<Date>,
    /// The supervision/service hotline printed on the cards; none when empty.
    pub hotline: String,
    /// What the cards' QR codes hold.
    pub qr_mode: QrMode,
    /// Write PDF/A-2b (for archives) instead of plain PDF.
    pub pdf_a: bool,
    /// Departments send a week's returns after it ends: the returns received
    /// from this many days after a period's first day to as many after its
    /// last are the ones sent for it (see `Settings::reporting_window`).
    pub report_grace_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            campaign_title: "“三大一实干”活动大走访".to_string(),
            campaign_year: 2017,
            default_quota: 30,
            minimum_quota: 30,
            problem_rows_per_page: 14,
            problem_pages: 1,
            document_date: jiff::civil::date(2017, 3, 4),
            campaign_start: None,
            hotline: String::new(),
            qr_mode: QrMode::VCard,
            pdf_a: false,
            report_grace_days: 3,
        }
    }
}

impl Settings {
    /// The days on which the returns sent for `period` are received: the
    /// period moved on by the grace days (a week Monday to Sunday with 3
    /// days: Thursday to the next Wednesday). Every day belongs to exactly
    /// one week's window.
    pub fn reporting_window(&self, (from, to): (Date, Date)) -> (Date, Date) {
        let grace = jiff::Span::new().days(i64::from(self.report_grace_days));
        (
            from.checked_add(grace).unwrap_or(from),
            to.checked_add(grace).unwrap_or(to),
        )
    }

    /// The first day of the visits (see `campaign_start`).
    pub fn campaign_start(&self) -> Date {
        self.campaign_start.unwrap_or_else(|| {
            let year = i16::try_from(self.campaign_year).unwrap_or(2017);
            jiff::civil::date(year, 3, 1)
        })
    }

    /// Reads a settings file over `base` (the defaults). Every fault is reported with
    /// the file, the line and the key.
    pub(crate) fn load(path: &Path, base: Settings) -> Result<Settings, Vec<Fault>> {
        let file = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| {
            vec![Fault::error(
                Place::file(&file),
                format!("设置文件打不开（{e}）"),
                "请检查 --config 给出的路径",
            )]
        })?;
        let text = crate::shared::text::decode_text(&text);
        // Each key and value with where it stands in the file (the toml
        // crate's spans), so that every message names the line.
        type Spanned<T> = toml::Spanned<T>;
        let table: std::collections::BTreeMap<Spanned<String>, Spanned<toml::Value>> =
            toml::from_str(&text).map_err(|e: toml::de::Error| {
                let line = e.span().map(|s| line_at(&text, s.start));
                vec![Fault::error(
                    Place {
                        row: line,
                        ..Place::file(&file)
                    },
                    format!("设置文件的写法有误（{}）", e.message()),
                    "请对照 zoufang init 写出的设置文件改正，文字要用英文双引号括起来",
                )]
            })?;
        let mut settings = base;
        let mut faults = Vec::new();
        for (key, value) in &table {
            let place = Place {
                row: Some(line_at(&text, key.span().start)),
                ..Place::file(&file)
            };
            let (key, value) = (key.get_ref(), value.get_ref());
            let bad = |what: &str| {
                Fault::error(
                    place.clone(),
                    format!("设置项「{key}」{what}"),
                    "请改正，或删掉这一行用默认值",
                )
                .with_value(value.to_string())
            };
            let int = |lo: i64, hi: i64| value.as_integer().filter(|n| (lo..=hi).contains(n));
            match key.as_str() {
                "campaign_title" => match value.as_str() {
                    Some(s) if !s.trim().is_empty() => {
                        settings.campaign_title = crate::shared::text::clean(s)
                    }
                    _ => faults.push(bad("应为一段不空的文字")),
                },
                "campaign_year" => match int(2000, 2100) {
                    Some(y) => settings.campaign_year = y as i32,
                    None => faults.push(bad("应为年份，如 2017")),
                },
                "hotline" => match value.as_str() {
                    Some(s) => settings.hotline = crate::shared::text::clean(s),
                    None => faults.push(bad("应为文字，用双引号括起来")),
                },
                "qr" => match value.as_str().map(str::trim) {
                    Some(s) if s.eq_ignore_ascii_case("vcard") => settings.qr_mode = QrMode::VCard,
                    Some(s) if s.contains("{编号}") || s.contains("{id}") => {
                        settings.qr_mode = QrMode::Url(s.to_string())
                    }
                    _ => faults.push(bad("应为 \"vcard\"，或含有 {编号} 的网址")),
                },
                "default_quota" => match int(1, 500) {
                    Some(n) => settings.default_quota = n as u32,
                    None => faults.push(bad("应为1到500之间的整数")),
                },
                "minimum_quota" => match int(0, 500) {
                    Some(n) => settings.minimum_quota = n as u32,
                    None => faults.push(bad("应为0到500之间的整数")),
                },
                "problem_rows_per_page" => match int(5, 25) {
                    Some(n) => settings.problem_rows_per_page = n as u32,
                    None => faults.push(bad("应为5到25之间的整数")),
                },
                "problem_pages" => match int(1, 10) {
                    Some(n) => settings.problem_pages = n as u32,
                    None => faults.push(bad("应为1到10之间的整数")),
                },
                "report_grace_days" => match int(0, 6) {
                    Some(n) => settings.report_grace_days = n as u32,
                    None => faults.push(bad("应为0到6之间的整数")),
                },
                "document_date" => match date_of(value) {
                    Some(day) => settings.document_date = day,
                    None => faults.push(bad("应为日期，如 \"2017-03-04\"")),
                },
                "campaign_start" => match date_of(value) {
                    Some(day) => settings.campaign_start = Some(day),
                    None => faults.push(bad("应为日期，如 \"2017-03-01\"")),
                },
                "pdf_standard" => match value.as_str().map(|s| s.trim().to_ascii_lowercase()) {
                    Some(s) if s.is_empty() => settings.pdf_a = false,
                    Some(s) if s == "a-2b" => settings.pdf_a = true,
                    _ => faults.push(bad("只能空着，或写 \"a-2b\"")),
                },
                _ => faults.push(Fault::error(
                    place,
                    format!("不认识的设置项「{key}」"),
                    "请检查拼写；可用的设置项见 zoufang init 写出的设置文件",
                )),
            }
        }
        if faults.is_empty() {
            Ok(settings)
        } else {
            Err(faults)
        }
    }
}

/// A date setting, written as text (`"2017-03-04"`) or as a TOML date.
fn date_of(value: &toml::Value) -> Option<Date> {
    let text = value
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| value.to_string());
    crate::shared::date::parse_date_text(&text)
}

/// The line (from 1) of a byte offset in `text`.
fn line_at(text: &str, offset: usize) -> u32 {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    before.matches('\n').count() as u32 + 1
}

/// What a card's QR code holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrMode {
    /// A vCard 3.0 that a phone camera offers to save as a contact.
    VCard,
    /// A URL template; `{编号}` (or `{id}`) is replaced by the cadre's id.
    Url(String),
}
