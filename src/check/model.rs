//! The checked roster: departments, villages and communities, cadres.

use serde::Serialize;

use crate::schema::roster::VillageKind;
use crate::shared::fault::{Fault, Place};

/// A department (市级机关部门/单位).
#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub(crate) name: String,
    pub(crate) contact: String,
    pub(crate) phone: String,
    #[serde(skip)]
    pub(crate) place: Place,
}

/// A village or community (村/社区).
#[derive(Debug, Clone, Serialize)]
pub struct Village {
    pub(crate) district: String,
    pub(crate) town: String,
    pub(crate) name: String,
    pub(crate) kind: VillageKind,
    pub(crate) secretary: String,
    pub(crate) secretary_phone: String,
    /// Index into `Roster::departments`.
    pub(crate) department: usize,
    #[serde(skip)]
    pub(crate) place: Place,
}

/// A cadre who visits households.
#[derive(Debug, Clone, Serialize)]
pub struct Cadre {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Index into `Roster::departments`.
    pub(crate) department: usize,
    pub(crate) position: String,
    pub(crate) mobile: String,
    /// Index into `Roster::villages`.
    pub(crate) village: usize,
    /// Household forms to print.
    pub(crate) quota: u32,
    #[serde(skip)]
    pub(crate) place: Place,
}

/// The checked roster.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub departments: Vec<Department>,
    pub villages: Vec<Village>,
    pub cadres: Vec<Cadre>,
}

/// The roster and everything found wrong with it.
#[derive(Debug, Default)]
pub struct Checked {
    pub roster: Roster,
    pub faults: Vec<Fault>,
    pub rows: RowAccount,
}

/// Data rows of the roster's tables: every one read is either used or reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowAccount {
    pub read: u64,
    pub used: u64,
    pub reported: u64,
}

impl Checked {
    pub fn has_faults(&self) -> bool {
        self.faults.iter().any(Fault::is_error)
    }
}

impl Cadre {
    /// The serial numbers of the cadre's household forms: `ZF0001-01` …
    /// `ZF0001-30`, printed on each form and pre-filled in the entry
    /// workbook. Unique across a run because cadre ids are.
    pub(crate) fn serials(&self) -> Vec<String> {
        let width = self.quota.to_string().len().max(2);
        (1..=self.quota)
            .map(|n| format!("{}-{:0width$}", self.id, n))
            .collect()
    }
}

/// The cadre id in a household form's serial (`ZF0001-07` → `ZF0001`):
/// the inverse of `Cadre::serials`.
pub(crate) fn cadre_of_serial(serial: &str) -> &str {
    serial.rsplit_once('-').map_or(serial, |(id, _)| id)
}
