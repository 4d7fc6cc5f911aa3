//! Campaign settings: what is the same on every page of a run.

use serde::Serialize;

use crate::qr::QrMode;

/// Settings of a run. Every field has a default that matches the 2017 notice.
#[derive(Debug, Clone, Serialize)]
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
    pub document_date: (i32, u8, u8),
    /// The supervision/service hotline printed on the cards; none when empty.
    pub hotline: String,
    /// What the cards' QR codes hold.
    #[serde(skip)]
    pub qr_mode: QrMode,
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
            document_date: (2017, 3, 4),
            hotline: String::new(),
            qr_mode: QrMode::VCard,
        }
    }
}

impl Settings {
    /// The settings for a campaign year: the document date moves with it.
    pub fn for_year(year: i32) -> Self {
        Settings {
            campaign_year: year,
            document_date: (year, 1, 1),
            ..Settings::default()
        }
    }
}
