//! Summaries: returns → annex-5 tables (per village, rolled up per town,
//! district, city and department), weekly figures (notice §七.1), routing
//! (notice §六) and the follow-up of printed forms against the roster.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::check::model::{Roster, cadre_of_serial};
use crate::schema::returns::{Category, ProblemType};
use crate::schema::roster::VillageKind;
use crate::shared::date::{Date, week_after, week_of};
use crate::shared::text::compact;

use super::returns::{Figures, Location, Problem, Returns};

/// Problems counted by their state: annex 5's 已解决 and 待解决.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub(crate) solved: u64,
    pub(crate) pending: u64,
}

impl Tally {
    /// Counts a problem (or the problems a summary's record stands for):
    /// the one way a problem is added to any count of annex 5, the
    /// detail lists and the closing pack.
    pub(crate) fn add(&mut self, p: &Problem) {
        if p.solved {
            self.solved += p.count;
        } else {
            self.pending += p.count;
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.solved += other.solved;
        self.pending += other.pending;
    }

    /// 小计: solved and pending together.
    pub(crate) fn total(self) -> u64 {
        self.solved + self.pending
    }

    /// `[solved, pending]`, as templates take it.
    pub(crate) fn pair(self) -> [u64; 2] {
        [self.solved, self.pending]
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), |mut a, t| {
            a.merge(t);
            a
        })
    }
}

/// The lines of counts of an annex-5 table: each type's categories and
/// a total after them.
pub(crate) const ANNEX5_LINES: usize = ProblemType::ALL.len() * (Category::ALL.len() + 1);

/// Annex 5's grid: a tally for each type × category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    cells: [[Tally; 7]; 2],
}

impl Counts {
    pub(crate) fn add(&mut self, p: &Problem) {
        self.cells[p.problem_type.index()][p.category.index()].add(p);
    }

    fn merge(&mut self, other: &Counts) {
        for t in ProblemType::ALL {
            for c in Category::ALL {
                self.cells[t.index()][c.index()].merge(other.get(t, c));
            }
        }
    }

    /// The tally of one type and category.
    pub(crate) fn get(&self, t: ProblemType, c: Category) -> Tally {
        self.cells[t.index()][c.index()]
    }

    /// The tallies of one type, category by category in the notice's order.
    pub(crate) fn of_type(&self, t: ProblemType) -> [Tally; 7] {
        self.cells[t.index()]
    }

    /// Totals of one type (合计).
    pub(crate) fn type_total(&self, t: ProblemType) -> Tally {
        self.of_type(t).into_iter().sum()
    }

    /// Both types of one category.
    pub(crate) fn category_total(&self, c: Category) -> Tally {
        ProblemType::ALL.into_iter().map(|t| self.get(t, c)).sum()
    }

    pub(crate) fn total(&self) -> Tally {
        ProblemType::ALL
            .into_iter()
            .map(|t| self.type_total(t))
            .sum()
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
pub(crate) fn route(kind: VillageKind) -> &'static str {
    match kind {
        VillageKind::Village => "市委农工办",
        VillageKind::Community => "市民政局",
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
    pub(crate) kind: Option<VillageKind>,
    pub(crate) counts: Counts,
}

impl Annex5 {
    /// The stable JSON form described in the issue.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = ProblemType::ALL
            .into_iter()
            .flat_map(|t| Category::ALL.map(|c| (t, c)))
            .map(|(t, c)| {
                let Tally { solved, pending } = self.counts.get(t, c);
                serde_json::json!({"type": t.label(), "category": c.label(), "solved": solved, "pending": pending})
            })
            .collect();
        let Tally { solved, pending } = self.counts.total();
        serde_json::json!({
            "level": self.level,
            "district": self.district,
            "town": self.town,
            "village": self.village,
            "department": self.department,
            "kind": self.kind.map(VillageKind::label),
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

/// A department's household forms back on paper (scanned), beside those
/// printed.
#[derive(Debug, Clone, Serialize)]
pub struct PaperBack {
    pub(crate) department: String,
    pub(crate) printed: u64,
    pub(crate) returned: u64,
    pub(crate) filled: u64,
}

/// One line of the machine-readable annex-5 sheet: the counts of one type and
/// category, for one village and one department. Summing these lines over
/// several summaries gives the same figures as summing the raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detail {
    pub(crate) location: Location,
    pub(crate) kind: VillageKind,
    pub(crate) department: String,
    pub(crate) problem_type: ProblemType,
    pub(crate) category: Category,
    pub(crate) tally: Tally,
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
    /// Household forms back on paper per department of the roster, in its
    /// order, when a roster is given and the ledger notes scanned forms.
    pub(crate) paper: Option<Vec<PaperBack>>,
    /// The problems as they stood at the period's end (the brief's charts
    /// beside its text).
    pub(crate) at_end: AtEnd,
}

/// The problems as they stood at the period's end, as the weekly figures
/// count them: raised by then, solved by then (a problem solved later
/// counts as pending); counts from other summaries, which carry no dates,
/// as they stand. Without a period, every problem as it stands.
#[derive(Debug, Clone, Default)]
pub(crate) struct AtEnd {
    /// By category, in the notice's order.
    pub(crate) categories: Vec<Tally>,
    /// By district (市（区）), by name.
    pub(crate) districts: BTreeMap<String, Tally>,
}

fn at_end(problems: &[Problem], period: Option<(Date, Date)>) -> AtEnd {
    let end = period.map(|p| p.1);
    let by_end = |day: Option<Date>| match (day, end) {
        (Some(day), Some(end)) => day <= end,
        _ => true,
    };
    let mut out = AtEnd {
        categories: vec![Tally::default(); Category::ALL.len()],
        districts: BTreeMap::new(),
    };
    for p in problems {
        let from_summary = p.village_kind.is_some();
        if !from_summary && !by_end(p.date) {
            continue;
        }
        let solved = if from_summary {
            p.solved
        } else {
            p.solved_since.is_some() && by_end(p.solved_since)
        };
        let mut tally = Tally::default();
        if solved {
            tally.solved = p.count;
        } else {
            tally.pending = p.count;
        }
        out.categories[p.category.index()].merge(tally);
        out.districts
            .entry(p.location.district.clone())
            .or_default()
            .merge(tally);
    }
    out
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

/// The forms back on paper per department: a serial's cadre (`ZF0001-07`:
/// ZF0001) names it; a serial of no cadre on the roster is not counted.
fn paper_back(roster: &Roster, paper: &[(String, bool)]) -> Vec<PaperBack> {
    let department: HashMap<&str, usize> = roster
        .cadres
        .iter()
        .map(|c| (c.id.as_str(), c.department))
        .collect();
    let mut lines: Vec<PaperBack> = printed(roster)
        .into_iter()
        .map(|(name, printed)| PaperBack {
            department: name,
            printed,
            returned: 0,
            filled: 0,
        })
        .collect();
    for (serial, filled) in paper {
        if let Some(line) = department
            .get(cadre_of_serial(serial))
            .and_then(|&d| lines.get_mut(d))
        {
            line.returned += 1;
            line.filled += u64::from(*filled);
        }
    }
    lines
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

/// What is gathered per village.
struct VillageAcc {
    /// The first spelling seen.
    location: Location,
    /// 村 or 社区, as a summary row states it.
    stated: Option<VillageKind>,
    counts: Counts,
    /// The departments that reported it.
    departments: BTreeSet<String>,
}

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
    let kinds = Kinds::of(roster);
    let (villages, departments) = by_village_and_department(&returns.problems);
    Summary {
        period,
        detail: detail(&returns.problems, &villages, &kinds),
        annex5: annex5_tables(&villages, departments, &kinds),
        weekly: weekly(returns, period),
        follow_up: roster.map(|r| follow_up(returns, r)).unwrap_or_default(),
        unvisited: roster.map(|r| unvisited(returns, r)).unwrap_or_default(),
        completeness: roster.map(|r| completeness(returns, r)),
        weeks: weeks(returns, period),
        printed: roster.map(printed),
        paper: roster
            .zip(returns.paper.as_ref())
            .map(|(r, p)| paper_back(r, p)),
        at_end: at_end(&returns.problems, period),
    }
}

/// Whether a village is a 村 or a 社区: as the roster says, else as a
/// summary row states, else as its name says (村 when it says nothing).
struct Kinds(HashMap<VillageKey, VillageKind>);

impl Kinds {
    fn of(roster: Option<&Roster>) -> Kinds {
        Kinds(
            roster
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
                .unwrap_or_default(),
        )
    }

    fn of_village(&self, key: &VillageKey, village: &VillageAcc) -> VillageKind {
        self.0
            .get(key)
            .copied()
            .or(village.stated)
            .or_else(|| VillageKind::infer(&village.location.village))
            .unwrap_or(VillageKind::Village)
    }
}

/// Every problem counted for its village (keyed by its comparison key,
/// with the first spelling seen) and for its department.
fn by_village_and_department(
    problems: &[Problem],
) -> (BTreeMap<VillageKey, VillageAcc>, BTreeMap<String, Counts>) {
    let mut villages: BTreeMap<VillageKey, VillageAcc> = BTreeMap::new();
    let mut departments: BTreeMap<String, Counts> = BTreeMap::new();
    for p in problems {
        let village = villages
            .entry(p.location.key())
            .or_insert_with(|| VillageAcc {
                location: p.location.clone(),
                stated: None,
                counts: Counts::default(),
                departments: BTreeSet::new(),
            });
        village.stated = village.stated.or(p.village_kind);
        village.counts.add(p);
        village.departments.insert(p.department.clone());
        departments.entry(p.department.clone()).or_default().add(p);
    }
    (villages, departments)
}

/// The lines of the machine-readable annex-5 sheet: per village,
/// department, type and category.
fn detail(
    problems: &[Problem],
    villages: &BTreeMap<VillageKey, VillageAcc>,
    kinds: &Kinds,
) -> Vec<Detail> {
    let mut tallies: BTreeMap<(VillageKey, String, ProblemType, Category), Tally> = BTreeMap::new();
    for p in problems {
        tallies
            .entry((
                p.location.key(),
                p.department.clone(),
                p.problem_type,
                p.category,
            ))
            .or_default()
            .add(p);
    }
    tallies
        .into_iter()
        .map(|((key, department, problem_type, category), tally)| {
            let village = &villages[&key];
            Detail {
                location: village.location.clone(),
                kind: kinds.of_village(&key, village),
                department,
                problem_type,
                category,
                tally,
            }
        })
        .collect()
}

/// The annex-5 tables: every village, then the roll-ups per town,
/// district, the city and per department.
fn annex5_tables(
    villages: &BTreeMap<VillageKey, VillageAcc>,
    departments: BTreeMap<String, Counts>,
    kinds: &Kinds,
) -> Vec<Annex5> {
    let table = |level: Level, counts: Counts| Annex5 {
        level,
        district: None,
        town: None,
        village: None,
        department: None,
        kind: None,
        counts,
    };
    let mut annex5 = Vec::new();
    let mut towns: BTreeMap<(String, String), (Location, Counts)> = BTreeMap::new();
    let mut districts: BTreeMap<String, (Location, Counts)> = BTreeMap::new();
    let mut city = Counts::default();
    for (key, village) in villages {
        let loc = &village.location;
        annex5.push(Annex5 {
            district: Some(loc.district.clone()),
            town: Some(loc.town.clone()),
            village: Some(loc.village.clone()),
            department: (village.departments.len() == 1)
                .then(|| village.departments.iter().next().cloned())
                .flatten(),
            kind: Some(kinds.of_village(key, village)),
            ..table(Level::Village, village.counts.clone())
        });
        towns
            .entry((key.0.clone(), key.1.clone()))
            .or_insert_with(|| (loc.clone(), Counts::default()))
            .1
            .merge(&village.counts);
        districts
            .entry(key.0.clone())
            .or_insert_with(|| (loc.clone(), Counts::default()))
            .1
            .merge(&village.counts);
        city.merge(&village.counts);
    }
    for (loc, counts) in towns.into_values() {
        annex5.push(Annex5 {
            district: Some(loc.district),
            town: Some(loc.town),
            ..table(Level::Town, counts)
        });
    }
    for (loc, counts) in districts.into_values() {
        annex5.push(Annex5 {
            district: Some(loc.district),
            ..table(Level::District, counts)
        });
    }
    annex5.push(table(Level::City, city));
    for (name, counts) in departments {
        annex5.push(Annex5 {
            department: Some(name),
            ..table(Level::Department, counts)
        });
    }
    annex5
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
    for p in returns.problems.iter().filter(|p| p.village_kind.is_none()) {
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
