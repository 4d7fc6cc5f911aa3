//! Which records are the same: the one rule, and the one place it is kept.
//!
//! - A household is the serial (编号) printed on its form; a row without one
//!   is its department, cadre, household head and village.
//! - A problem of a problem list is its department, cadre and 序号; without
//!   a 序号, or where a sheet repeats one (lists of several cadres pasted
//!   together), it is what it says: department, village, cadre, person
//!   visited, date, type, category and text.
//! - A count from another department's summary is its cell: department,
//!   village, type, category and state.
//!
//! Villages are compared by their key (committee suffixes and spaces
//! reduced, see `Location::key`), so 东城湾村 and 东城湾村委会 are one.
//!
//! Two versions of one record compare by what the record says (`content`)
//! and by its state, which moves on from week to week (a status, a
//! handling note, a 办结日期): the same content in the same state is the
//! same record seen again; in a new state, an update; different content, a
//! conflict. This comparison decides both within one run (`resolve`) and
//! against the ledger's latest version (`ledger`).
//!
//! An identity is stored in the ledger as a string (`Key`); the encoding
//! below is the ledger's, and does not change.

use crate::schema::returns::{Category, ProblemType};

/// The village part of an identity: district, town and village as
/// compared (`Location::key`).
pub type VillageKey = (String, String, String);

/// The ways a record is known.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// A household by the serial printed on its form.
    Serial(&'a str),
    /// A household without a serial.
    Household {
        department: &'a str,
        cadre: &'a str,
        head: &'a str,
        village: &'a VillageKey,
    },
    /// A problem by its 序号 on a cadre's list.
    Numbered {
        department: &'a str,
        cadre: &'a str,
        number: &'a str,
    },
    /// A problem by what it says.
    Described {
        department: &'a str,
        village: &'a VillageKey,
        cadre: &'a str,
        visited: &'a str,
        date: &'a str,
        problem_type: ProblemType,
        category: Category,
        text: &'a str,
    },
    /// A count of another department's summary (annex 5's cell for one
    /// village, type, category and state).
    SummaryCell {
        department: &'a str,
        village: &'a VillageKey,
        problem_type: ProblemType,
        category: Category,
        solved: bool,
    },
}

/// Joins the parts of an identity.
const SEPARATOR: char = '\u{1f}';

impl Identity<'_> {
    /// The identity as the ledger stores it.
    pub fn key(&self) -> Key {
        let s = SEPARATOR;
        let place = |(district, town, village): &VillageKey| format!("{district}{town}{village}");
        Key(match *self {
            Identity::Serial(serial) => serial.to_string(),
            Identity::Household {
                department,
                cadre,
                head,
                village,
            } => format!("{department}{s}{cadre}{s}{head}{s}{}", place(village)),
            Identity::Numbered {
                department,
                cadre,
                number,
            } => format!("{department}{s}{cadre}#{number}"),
            Identity::Described {
                department,
                village,
                cadre,
                visited,
                date,
                problem_type,
                category,
                text,
            } => format!(
                "{department}{s}{}{s}{cadre}{s}{visited}{s}{date}{s}{}{s}{}{s}{text}",
                place(village),
                problem_type.index(),
                category.index()
            ),
            Identity::SummaryCell {
                department,
                village,
                problem_type,
                category,
                solved,
            } => format!(
                "汇总{s}{department}{s}{}{s}{}{s}{}{s}{solved}",
                place(village),
                problem_type.index(),
                category.index()
            ),
        })
    }
}

/// An identity, encoded (see `Identity::key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Key(String);

impl Key {
    /// A key as the ledger stored it.
    pub fn stored(key: String) -> Key {
        Key(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The serial of a household known by one.
    pub fn serial(&self) -> Option<&str> {
        (!self.0.contains(SEPARATOR)).then_some(self.0.as_str())
    }

    /// The 序号 of a problem known by one (`Identity::Numbered`).
    pub fn number(&self) -> Option<&str> {
        self.0.rsplit_once('#').map(|(_, number)| number)
    }
}

/// One version of a record: fingerprints of what it says and of its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub content: u64,
    pub state: u64,
}

/// How a later version of a record stands to an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The same content in the same state: the record seen again.
    Same,
    /// The same content in a new state (a status moved on).
    Updated,
    /// Different content under the same identity.
    Conflict,
}

/// The comparison of two versions of one record.
pub fn compare(earlier: Version, later: Version) -> Change {
    if earlier.content != later.content {
        Change::Conflict
    } else if earlier.state != later.state {
        Change::Updated
    } else {
        Change::Same
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_ledgers_encoding() {
        let village = (
            "武进区".to_string(),
            "横山桥镇".to_string(),
            "东城湾".to_string(),
        );
        assert_eq!(
            Identity::Serial("ZF0001-07").key().serial(),
            Some("ZF0001-07")
        );
        let household = Identity::Household {
            department: "市教育局",
            cadre: "王明",
            head: "李秀英",
            village: &village,
        }
        .key();
        assert_eq!(
            household.as_str(),
            "市教育局\u{1f}王明\u{1f}李秀英\u{1f}武进区横山桥镇东城湾"
        );
        assert_eq!(household.serial(), None);
        let numbered = Identity::Numbered {
            department: "市教育局",
            cadre: "王明",
            number: "3",
        }
        .key();
        assert_eq!(numbered.as_str(), "市教育局\u{1f}王明#3");
        assert_eq!(numbered.number(), Some("3"));
        let cell = Identity::SummaryCell {
            department: "市教育局",
            village: &village,
            problem_type: ProblemType::Advice,
            category: Category::Other,
            solved: true,
        };
        assert_eq!(
            cell.key().as_str(),
            "汇总\u{1f}市教育局\u{1f}武进区横山桥镇东城湾\u{1f}1\u{1f}6\u{1f}true"
        );
    }

    #[test]
    fn versions_compare_by_content_then_state() {
        let v = |content, state| Version { content, state };
        assert_eq!(compare(v(1, 1), v(1, 1)), Change::Same);
        assert_eq!(compare(v(1, 1), v(1, 2)), Change::Updated);
        assert_eq!(compare(v(1, 1), v(2, 1)), Change::Conflict);
        assert_eq!(compare(v(1, 1), v(2, 2)), Change::Conflict);
    }
}
