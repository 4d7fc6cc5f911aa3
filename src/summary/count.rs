//! Summaries: returns → annex-5 tables (per village, rolled up per town,
//! district, city and department), weekly figures (notice §七.1), routing
//! (notice §六) and the follow-up of printed forms against the roster.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::check::model::Roster;
use crate::schema::returns::{CATEGORIES, TYPES};
use crate::schema::roster::Kind;
use crate::shared::date::{Date, week_after, week_of};
use crate::shared::text::compact;

use super::returns::{Figures, Location, ProblemRecord, Returns};

/// Solved and pending counts for each type × category of annex 5.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// `cells[type][category] = (solved, pending)`.
    pub(crate) cells: [[(u64, u64); 7]; 2],
}

impl Counts {
    fn add(&mut self, p: &ProblemRecord) {
        let cell = &mut self.cells[p.kind][p.category];
        if p.solved {
            cell.0 += p.count;
        } else {
            cell.1 += p.count;
        }
    }

    fn merge(&mut self, other: &Counts) {
        for t in 0..2 {
            for c in 0..7 {
                self.cells[t][c].0 += other.cells[t][c].0;
                self.cells[t][c].1 += other.cells[t][c].1;
            }
        }
    }

    /// Totals of one type.
    pub(crate) fn type_total(&self, t: usize) -> (u64, u64) {
        self.cells[t]
            .iter()
            .fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1))
    }

    pub(crate) fn total(&self) -> (u64, u64) {
        let (a, b) = (self.type_total(0), self.type_total(1));
        (a.0 + b.0, a.1 + b.1)
    }
}

/// The level an annex-5 table sums over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Village,
    Town,
    District,
    City,
    Department,
}

/// Where a village's summary goes (notice §六).
pub(crate) fn route(kind: Kind) -> &'static str {
    match kind {
        Kind::Village => "市委农工办",
        Kind::Community => "市民政局",
    }
}

/// One annex-5 table.
#[derive(Debug, Clone)]
pub struct Annex5 {
    pub(crate) level: Level,
    pub(crate) district: Option<String>,
    pub(crate) town: Option<String>,
    pub(crate) village: Option<String>,
    pub(crate) department: Option<String>,
    pub(crate) kind: Option<Kind>,
    pub(crate) counts: Counts,
}

impl Annex5 {
    /// The stable JSON form described in the issue.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = (0..2)
            .flat_map(|t| {
                (0..7).map(move |c| (t, c))
            })
            .map(|(t, c)| {
                let (solved, pending) = self.counts.cells[t][c];
                serde_json::json!({"type": TYPES[t], "category": CATEGORIES[c], "solved": solved, "pending": pending})
            })
            .collect();
        let (solved, pending) = self.counts.total();
        serde_json::json!({
            "level": self.level,
            "district": self.district,
            "town": self.town,
            "village": self.village,
            "department": self.department,
            "kind": self.kind.map(Kind::label),
            "route": self.kind.map(route),
            "rows": rows,
            "solved": solved,
            "pending": pending,
        })
    }

    /// A title for the table's page, e.g. 武进区横山桥镇东城湾村 or 全市.
    pub(crate) fn title(&self) -> String {
        match self.level {
            Level::City => "全市".to_string(),
            Level::Department => self.department.clone().unwrap_or_default(),
            _ => [&self.district, &self.town, &self.village]
                .iter()
                .filter_map(|s| s.as_deref())
                .collect(),
        }
    }
}

/// The weekly figures of one department (notice §七.1).
#[derive(Debug, Clone, Serialize)]
pub struct Weekly {
    pub(crate) department: String,
    #[serde(flatten)]
    pub(crate) period: Figures,
    pub(crate) cumulative: Figures,
}

/// A cadre's printed forms against returned ones.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub(crate) department: String,
    pub(crate) cadre: String,
    pub(crate) id: String,
    pub(crate) printed: u64,
    pub(crate) returned: u64,
}

/// One line of the machine-readable annex-5 sheet: the counts of one type and
/// category, for one village and one department. Summing these lines over
/// several summaries gives the same figures as summing the raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detail {
    pub(crate) location: Location,
    pub(crate) kind: Kind,
    pub(crate) department: String,
    pub(crate) problem_type: usize,
    pub(crate) category: usize,
    pub(crate) solved: u64,
    pub(crate) pending: u64,
}

/// Everything `summary` produces.
#[derive(Debug, Clone)]
pub struct Summary {
    pub(crate) period: Option<(Date, Date)>,
    pub(crate) annex5: Vec<Annex5>,
    pub(crate) detail: Vec<Detail>,
    pub(crate) weekly: Vec<Weekly>,
    /// Per cadre, when a roster is given.
    pub(crate) follow_up: Vec<FollowUp>,
    /// Villages of the roster with no household visit, when a roster is given.
    pub(crate) unvisited: Vec<Location>,
    /// Which of the roster's departments sent a return, when a roster is given.
    pub(crate) completeness: Option<Completeness>,
    /// Households visited in each week (its Monday), from the first week
    /// with a visit to the week the period ends in (at most `MAX_WEEKS`).
    pub(crate) weeks: Vec<(Date, u64)>,
    /// Household forms printed for each of the roster's departments, in
    /// roster order, when a roster is given.
    pub(crate) printed: Option<Vec<(String, u64)>>,
}

/// The most weeks a summary counts visits week by week: a campaign of
/// half a year.
const MAX_WEEKS: usize = 26;

/// Households visited week by week, up to the week of the period's end
/// (without a period, of the last visit).
fn weeks(returns: &Returns, period: Option<(Date, Date)>) -> Vec<(Date, u64)> {
    visits_by_week(returns.visits.iter().map(|v| v.date), period.map(|p| p.1))
}

/// Visits on these days counted week by week (each week by its Monday),
/// every week from the first with a visit to the one `end` falls in (else
/// the last with a visit), weeks without a visit as 0; at most the last
/// `MAX_WEEKS`. Visits after `end` are not counted.
pub(crate) fn visits_by_week(
    days: impl Iterator<Item = Date>,
    end: Option<Date>,
) -> Vec<(Date, u64)> {
    let mut by_week: BTreeMap<Date, u64> = BTreeMap::new();
    for day in days {
        if end.is_none_or(|end| day <= end) {
            *by_week.entry(week_of(day).0).or_default() += 1;
        }
    }
    let (Some(&first), Some(&last)) = (by_week.keys().next(), by_week.keys().next_back()) else {
        return Vec::new();
    };
    let last = end.map_or(last, |end| week_of(end).0.max(last));
    let mut out = Vec::new();
    let mut monday = first;
    while monday <= last {
        out.push((monday, by_week.get(&monday).copied().unwrap_or(0)));
        match week_after(monday) {
            Some(next) => monday = next,
            None => break,
        }
    }
    let skip = out.len().saturating_sub(MAX_WEEKS);
    out.drain(..skip);
    out
}

/// Household forms printed per department: the quotas of its cadres.
fn printed(roster: &Roster) -> Vec<(String, u64)> {
    let mut forms = vec![0u64; roster.departments.len()];
    for c in &roster.cadres {
        if let Some(f) = forms.get_mut(c.department) {
            *f += u64::from(c.quota);
        }
    }
    roster
        .departments
        .iter()
        .zip(forms)
        .map(|(d, f)| (d.name.clone(), f))
        .collect()
}

/// Who has sent a return (the activity office chases the rest).
#[derive(Debug, Clone, Serialize)]
pub struct Completeness {
    /// Departments on the roster.
    pub(crate) expected: usize,
    /// Those that sent a return, and those that did not, in roster order.
    pub(crate) reported: Vec<String>,
    pub(crate) missing: Vec<String>,
    /// `reported / expected`.
    pub(crate) share: f64,
}

/// The roster's departments that sent a return: those the ledger received
/// one from in the period (`Returns::reported`), else those the given files'
/// records name.
fn completeness(returns: &Returns, roster: &Roster) -> Completeness {
    let sent: HashSet<String> = match &returns.reported {
        Some(departments) => departments.iter().map(|d| compact(d)).collect(),
        None => returns
            .visits
            .iter()
            .map(|v| compact(&v.department))
            .chain(returns.problems.iter().map(|p| compact(&p.department)))
            .chain(returns.figures.iter().map(|(d, ..)| compact(d)))
            .collect(),
    };
    let (reported, missing): (Vec<String>, Vec<String>) = roster
        .departments
        .iter()
        .map(|d| d.name.clone())
        .partition(|name| sent.contains(&compact(name)));
    let expected = roster.departments.len();
    Completeness {
        expected,
        share: if expected == 0 {
            0.0
        } else {
            reported.len() as f64 / expected as f64
        },
        reported,
        missing,
    }
}

/// How villages are compared: district, town and name, with committee suffixes reduced.
type VillageKey = (String, String, String);

/// What is gathered per village: first spelling seen, a kind stated by a
/// summary row, the counts, and the departments that reported it.
type VillageAcc = (Location, Option<Kind>, Counts, BTreeSet<String>);

fn in_period(date: Option<Date>, period: Option<(Date, Date)>) -> bool {
    match (date, period) {
        (_, None) => true,
        (Some(d), Some((from, to))) => d >= from && d <= to,
        (None, Some(_)) => false,
    }
}

/// Builds the summary. The kind of each village (村/社区) comes from the
/// roster when given, else from a summary row that states it, else from its name.
pub fn summarise(
    returns: &Returns,
    roster: Option<&Roster>,
    period: Option<(Date, Date)>,
) -> Summary {
    let roster_kinds: HashMap<(String, String, String), Kind> = roster
        .map(|r| {
            r.villages
                .iter()
                .map(|v| {
                    let loc = Location {
                        district: v.district.clone(),
                        town: v.town.clone(),
                        village: v.name.clone(),
                    };
                    (loc.key(), v.kind)
                })
                .collect()
        })
        .unwrap_or_default();

    // Villages, keyed by their comparison key, with the first spelling seen.
    let mut villages: BTreeMap<VillageKey, VillageAcc> = BTreeMap::new();
    let mut departments: BTreeMap<String, Counts> = BTreeMap::new();
    for p in &returns.problems {
        let key = p.location.key();
        let entry = villages
            .entry(key)
            .or_insert_with(|| (p.location.clone(), None, Counts::default(), BTreeSet::new()));
        entry.1 = entry.1.or(p.kind_of_village);
        entry.2.add(p);
        entry.3.insert(p.department.clone());
        departments.entry(p.department.clone()).or_default().add(p);
    }

    let kind_of = |key: &(String, String, String), loc: &Location, stated: Option<Kind>| {
        roster_kinds
            .get(key)
            .copied()
            .or(stated)
            .or_else(|| Kind::infer(&loc.village))
            .unwrap_or(Kind::Village)
    };
    let mut detail_map: BTreeMap<(VillageKey, String, usize, usize), (u64, u64)> = BTreeMap::new();
    for p in &returns.problems {
        let cell = detail_map
            .entry((p.location.key(), p.department.clone(), p.kind, p.category))
            .or_default();
        if p.solved {
            cell.0 += p.count;
        } else {
            cell.1 += p.count;
        }
    }
    let detail = detail_map
        .into_iter()
        .map(
            |((key, department, problem_type, category), (solved, pending))| {
                let (loc, stated, _, _) = &villages[&key];
                Detail {
                    location: loc.clone(),
                    kind: kind_of(&key, loc, *stated),
                    department,
                    problem_type,
                    category,
                    solved,
                    pending,
                }
            },
        )
        .collect();

    let mut annex5 = Vec::new();
    let mut towns: BTreeMap<(String, String), (Location, Counts)> = BTreeMap::new();
    let mut districts: BTreeMap<String, (Location, Counts)> = BTreeMap::new();
    let mut city = Counts::default();
    for (key, (loc, stated, counts, depts)) in &villages {
        let kind = kind_of(key, loc, *stated);
        annex5.push(Annex5 {
            level: Level::Village,
            district: Some(loc.district.clone()),
            town: Some(loc.town.clone()),
            village: Some(loc.village.clone()),
            department: (depts.len() == 1)
                .then(|| depts.iter().next().cloned())
                .flatten(),
            kind: Some(kind),
            counts: counts.clone(),
        });
        towns
            .entry((key.0.clone(), key.1.clone()))
            .or_insert_with(|| (loc.clone(), Counts::default()))
            .1
            .merge(counts);
        districts
            .entry(key.0.clone())
            .or_insert_with(|| (loc.clone(), Counts::default()))
            .1
            .merge(counts);
        city.merge(counts);
    }
    for (loc, counts) in towns.values() {
        annex5.push(Annex5 {
            level: Level::Town,
            district: Some(loc.district.clone()),
            town: Some(loc.town.clone()),
            village: None,
            department: None,
            kind: None,
            counts: counts.clone(),
        });
    }
    for (loc, counts) in districts.values() {
        annex5.push(Annex5 {
            level: Level::District,
            district: Some(loc.district.clone()),
            town: None,
            village: None,
            department: None,
            kind: None,
            counts: counts.clone(),
        });
    }
    annex5.push(Annex5 {
        level: Level::City,
        district: None,
        town: None,
        village: None,
        department: None,
        kind: None,
        counts: city,
    });
    for (name, counts) in departments {
        annex5.push(Annex5 {
            level: Level::Department,
            district: None,
            town: None,
            village: None,
            department: Some(name),
            kind: None,
            counts,
        });
    }

    Summary {
        period,
        annex5,
        detail,
        weekly: weekly(returns, period),
        follow_up: roster.map(|r| follow_up(returns, r)).unwrap_or_default(),
        unvisited: roster.map(|r| unvisited(returns, r)).unwrap_or_default(),
        completeness: roster.map(|r| completeness(returns, r)),
        weeks: weeks(returns, period),
        printed: roster.map(printed),
    }
}

/// Weekly figures per department (notice §七.1), for the period and
/// cumulative to its end: cadres and households from visits dated then,
/// problems raised then, and problems that became solved then (by their
/// 办结日期, else the day the return that first showed them solved was
/// received). Figures read from other summaries are added to their department.
fn weekly(returns: &Returns, period: Option<(Date, Date)>) -> Vec<Weekly> {
    let by_end = |day: Option<Date>| match (day, period) {
        (Some(day), Some((_, end))) => day <= end,
        _ => true,
    };
    #[derive(Default)]
    struct Acc {
        cadres: BTreeSet<String>,
        all_cadres: BTreeSet<String>,
        period: Figures,
        cumulative: Figures,
    }
    let mut by_dept: BTreeMap<String, Acc> = BTreeMap::new();
    for v in returns.visits.iter().filter(|v| by_end(Some(v.date))) {
        let acc = by_dept.entry(v.department.clone()).or_default();
        acc.all_cadres.insert(v.cadre.clone());
        acc.cumulative.households += 1;
        if in_period(Some(v.date), period) {
            acc.cadres.insert(v.cadre.clone());
            acc.period.households += 1;
        }
    }
    // Problems counted from other summaries carry no dates: their weekly
    // figures come from those summaries' weekly sheets instead.
    for p in returns
        .problems
        .iter()
        .filter(|p| p.kind_of_village.is_none())
    {
        let acc = by_dept.entry(p.department.clone()).or_default();
        if by_end(p.date) {
            acc.cumulative.problems += p.count;
        }
        if in_period(p.date, period) {
            acc.period.problems += p.count;
        }
        if p.solved_since.is_some() && by_end(p.solved_since) {
            acc.cumulative.solved += p.count;
        }
        if p.solved_since.is_some() && in_period(p.solved_since, period) {
            acc.period.solved += p.count;
        }
    }
    let mut out: BTreeMap<String, Weekly> = by_dept
        .into_iter()
        .map(|(department, acc)| {
            let period = Figures {
                cadres: acc.cadres.len() as u64,
                ..acc.period
            };
            let cumulative = Figures {
                cadres: acc.all_cadres.len() as u64,
                ..acc.cumulative
            };
            (
                department.clone(),
                Weekly {
                    department,
                    period,
                    cumulative,
                },
            )
        })
        .collect();
    for (department, period, cumulative) in &returns.figures {
        let w = out.entry(department.clone()).or_insert_with(|| Weekly {
            department: department.clone(),
            period: Figures::default(),
            cumulative: Figures::default(),
        });
        add(&mut w.period, period);
        add(&mut w.cumulative, cumulative);
    }
    out.into_values().collect()
}

fn add(a: &mut Figures, b: &Figures) {
    a.cadres += b.cadres;
    a.households += b.households;
    a.problems += b.problems;
    a.solved += b.solved;
}

/// Forms printed (the quota) against household rows returned, per cadre of the
/// roster. A visit belongs to a cadre by its serial (`ZF0001-07`) or, without
/// one, by the cadre's name and department.
fn follow_up(returns: &Returns, roster: &Roster) -> Vec<FollowUp> {
    let mut returned: HashMap<usize, u64> = HashMap::new();
    let by_id: HashMap<&str, usize> = roster
        .cadres
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    for v in &returns.visits {
        let by_serial = v
            .serial
            .rsplit_once('-')
            .and_then(|(id, _)| by_id.get(id).copied());
        let cadre = by_serial.or_else(|| {
            roster.cadres.iter().position(|c| {
                c.name == v.cadre && roster.departments[c.department].name == v.department
            })
        });
        if let Some(i) = cadre {
            *returned.entry(i).or_default() += 1;
        }
    }
    roster
        .cadres
        .iter()
        .enumerate()
        .map(|(i, c)| FollowUp {
            department: roster.departments[c.department].name.clone(),
            cadre: c.name.clone(),
            id: c.id.clone(),
            printed: c.quota as u64,
            returned: returned.get(&i).copied().unwrap_or(0),
        })
        .collect()
}

fn unvisited(returns: &Returns, roster: &Roster) -> Vec<Location> {
    let visited: BTreeSet<_> = returns.visits.iter().map(|v| v.location.key()).collect();
    roster
        .villages
        .iter()
        .map(|v| Location {
            district: v.district.clone(),
            town: v.town.clone(),
            village: v.name.clone(),
        })
        .filter(|l| !visited.contains(&l.key()))
        .collect()
}

/// Masks phone numbers in free text: `13812340150` → `138****0150`; other
/// runs of seven or more digits keep only their first and last two digits.
pub(crate) fn mask_phones(text: &str) -> String {
    // Full-width digits count as digits; everything else is kept as written.
    let chars: Vec<char> = text
        .chars()
        .map(|c| {
            if ('０'..='９').contains(&c) {
                crate::shared::text::half_width(&c.to_string())
                    .chars()
                    .next()
                    .unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            let n = run.len();
            if n == 11 && run.starts_with('1') {
                out.push_str(&format!("{}****{}", &run[..3], &run[7..]));
            } else if n >= 7 {
                out.push_str(&format!(
                    "{}{}{}",
                    &run[..2],
                    "*".repeat(n - 4),
                    &run[n - 2..]
                ));
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(
            mask_phones("请联系13776880150或85680720"),
            "请联系137****0150或85****20"
        );
        assert_eq!(
            mask_phones("3户，电话１３７７６８８０１５０"),
            "3户，电话137****0150"
        );
    }
}
