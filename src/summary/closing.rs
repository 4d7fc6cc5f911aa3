//! The closing pack (`summary --closing`): for each department, and for the
//! city, the data appendix of its closing report (notice §七.2 "全面系统地
//! 总结回顾，形成总结报告") — its campaign totals, its visits week by week,
//! its problems by category and state, its villages, and the problems still
//! pending (text, village, cadre). No household names, no phones (masked
//! in the problem texts as in the routed lists).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;
use typst::foundations::Bytes;

use crate::check::model::Roster;
use crate::schema::returns::{Category, ProblemType};
use crate::settings::Settings;
use crate::shared::atomic::Written;
use crate::shared::date::{Date, show_date, written_date};
use crate::shared::fault::Fault;
use crate::shared::file_name::safe_file_name;
use crate::shared::queue::in_parallel_while;
use crate::shared::text::compact;
use crate::typeset::{Engine, Job, Stamps, Template};

use super::brief::{Split, Week, percent, week_bars};
use super::count::{Counts, Tally, mask_phones, visits_by_week};
use super::report::write_pdf;
use super::returns::{Location, Problem, Returns, Visit};

/// The folder of the closing pack.
pub(crate) const CLOSING_FOLDER: &str = "结束总结";

/// What `closing.typ` receives: one department's pack, or the city's.
#[derive(Debug, Serialize)]
pub(crate) struct Closing {
    title: &'static str,
    /// The department, or 全市.
    scope: String,
    city: bool,
    campaign: String,
    made: String,
    totals: Totals,
    weeks: Vec<Week>,
    /// Per category: 困难需求 and 意见建议, each (solved, pending).
    table: Vec<CategoryLine>,
    /// Per category, both types: for the chart.
    categories: Vec<Split>,
    /// The city's departments (the city's pack only).
    departments: Vec<DepartmentLine>,
    villages: Vec<VillageLine>,
    /// Problems still pending (a department's pack only).
    pending: Vec<Pending>,
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    cadres: u64,
    households: u64,
    villages: u64,
    #[serde(flatten)]
    problems: Counted,
    /// Household forms printed, and the share visited, with a roster.
    printed: Option<u64>,
    percent: Option<u64>,
}

#[derive(Debug, Serialize)]
struct CategoryLine {
    name: &'static str,
    needs: [u64; 2],
    advice: [u64; 2],
}

#[derive(Debug, Default, Serialize)]
struct DepartmentLine {
    name: String,
    households: u64,
    #[serde(flatten)]
    problems: Counted,
}

#[derive(Debug, Default, Serialize)]
struct VillageLine {
    district: String,
    town: String,
    village: String,
    households: u64,
    #[serde(flatten)]
    problems: Counted,
}

/// A tally as the pack prints it: problems, of them solved, pending.
#[derive(Debug, Default)]
struct Counted(Tally);

impl Serialize for Counted {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Counted", 3)?;
        out.serialize_field("problems", &self.0.total())?;
        out.serialize_field("solved", &self.0.solved)?;
        out.serialize_field("pending", &self.0.pending)?;
        out.end()
    }
}

#[derive(Debug, Serialize)]
struct Pending {
    village: String,
    cadre: String,
    kind: &'static str,
    category: &'static str,
    date: String,
    text: String,
}

/// The part of the returns one pack is about: a department's (by its name
/// compared without spaces), or all.
fn of<'a>(department: Option<&'a str>) -> impl Fn(&str) -> bool + 'a {
    let key = department.map(compact);
    move |d: &str| key.as_ref().is_none_or(|k| *k == compact(d))
}

/// The visits and problems of one pack.
type Records<'a> = (Vec<&'a Visit>, Vec<&'a Problem>);

/// What the packs of a report are made from: its returns (which name the
/// city's departments), the roster when given, the day they are made.
#[derive(Clone, Copy)]
pub(crate) struct Packs<'a> {
    pub(crate) returns: &'a Returns,
    pub(crate) roster: Option<&'a Roster>,
    pub(crate) settings: &'a Settings,
    pub(crate) made: Date,
}

impl Packs<'_> {
    /// The pack of `department` (`None`: the city's).
    pub(crate) fn pack(&self, department: Option<&str>) -> Closing {
        let mine = of(department);
        let visits = self.returns.visits.iter().filter(|v| mine(&v.department));
        let problems = self.returns.problems.iter().filter(|p| mine(&p.department));
        let records = (visits.collect(), problems.collect());
        self.of_records(&records, department)
    }

    /// The pack of `department` from its records.
    fn of_records(&self, (visits, problems): &Records, department: Option<&str>) -> Closing {
        let Packs {
            returns,
            roster,
            settings,
            made,
        } = *self;
        let mine = of(department);
        let mut villages: BTreeMap<(String, String, String), VillageLine> = BTreeMap::new();
        let mut departments: BTreeMap<String, DepartmentLine> = BTreeMap::new();
        let mut cadres = std::collections::BTreeSet::new();
        for v in visits {
            cadres.insert((compact(&v.department), compact(&v.cadre)));
            village_line(&mut villages, &v.location).households += 1;
            department_line(&mut departments, &v.department).households += 1;
        }
        let mut counts = Counts::default();
        for p in problems {
            counts.add(p);
            village_line(&mut villages, &p.location).problems.0.add(p);
            department_line(&mut departments, &p.department)
                .problems
                .0
                .add(p);
        }
        let printed = roster.map(|r| {
            r.cadres
                .iter()
                .filter(|c| {
                    r.departments
                        .get(c.department)
                        .is_some_and(|d| mine(&d.name))
                })
                .map(|c| u64::from(c.quota))
                .sum::<u64>()
        });
        let households = visits.len() as u64;
        let totals = Totals {
            cadres: cadres.len() as u64,
            households,
            villages: villages.values().filter(|v| v.households > 0).count() as u64,
            problems: Counted(counts.total()),
            printed,
            percent: printed.map(|p| percent(households, p)),
        };
        let mut pending: Vec<Pending> = problems
            .iter()
            .filter(|p| !p.solved && p.origin.is_some() && department.is_some())
            .map(|p| Pending {
                village: format!(
                    "{}{}{}",
                    p.location.district, p.location.town, p.location.village
                ),
                cadre: p.cadre.clone(),
                kind: p.problem_type.label(),
                category: p.category.label(),
                date: p.date.map(show_date).unwrap_or_default(),
                text: mask_phones(&p.text),
            })
            .collect();
        pending.sort_by(|a, b| (&a.village, &a.date, &a.text).cmp(&(&b.village, &b.date, &b.text)));
        let weeks = visits_by_week(visits.iter().map(|v| v.date), None);
        Closing {
            title: "走访活动数据汇总",
            scope: department.unwrap_or("全市").to_string(),
            city: department.is_none(),
            campaign: settings.campaign_title.clone(),
            made: written_date(made),
            totals,
            weeks: week_bars(&weeks, None),
            table: Category::ALL
                .into_iter()
                .map(|c| CategoryLine {
                    name: c.label(),
                    needs: counts.get(ProblemType::Need, c).pair(),
                    advice: counts.get(ProblemType::Advice, c).pair(),
                })
                .collect(),
            categories: Category::ALL
                .into_iter()
                .map(|c| Split::new(c.label().to_string(), counts.category_total(c)))
                .collect(),
            // The city's: every department, those that sent nothing as zeros.
            departments: if department.is_none() {
                departments_of(returns, roster)
                    .into_iter()
                    .map(|name| {
                        departments
                            .remove(&compact(&name))
                            .unwrap_or(DepartmentLine {
                                name,
                                ..DepartmentLine::default()
                            })
                    })
                    .collect()
            } else {
                Vec::new()
            },
            villages: villages.into_values().collect(),
            pending,
        }
    }
}

impl Closing {
    pub(crate) fn job(&self) -> Job {
        Job {
            template: Template::Closing,
            data: Bytes::new(serde_json::to_vec(self).unwrap_or_default()),
            files: Vec::new(),
            stamps: Stamps::None,
        }
    }
}

fn village_line<'a>(
    villages: &'a mut BTreeMap<(String, String, String), VillageLine>,
    l: &Location,
) -> &'a mut VillageLine {
    villages.entry(l.key()).or_insert_with(|| VillageLine {
        district: l.district.clone(),
        town: l.town.clone(),
        village: l.village.clone(),
        ..VillageLine::default()
    })
}

fn department_line<'a>(
    departments: &'a mut BTreeMap<String, DepartmentLine>,
    name: &str,
) -> &'a mut DepartmentLine {
    departments
        .entry(compact(name))
        .or_insert_with(|| DepartmentLine {
            name: name.to_string(),
            ..DepartmentLine::default()
        })
}

/// The departments a closing pack is made for: the roster's, in its order,
/// then any other the returns name.
fn departments_of(returns: &Returns, roster: Option<&Roster>) -> Vec<String> {
    let mut names: Vec<String> = roster
        .map(|r| r.departments.iter().map(|d| d.name.clone()).collect())
        .unwrap_or_default();
    let mut known: std::collections::HashSet<String> = names.iter().map(|n| compact(n)).collect();
    let named = returns
        .visits
        .iter()
        .map(|v| &v.department)
        .chain(returns.problems.iter().map(|p| &p.department));
    let mut rest: Vec<String> = Vec::new();
    for d in named {
        if known.insert(compact(d)) {
            rest.push(d.clone());
        }
    }
    rest.sort();
    names.extend(rest);
    names
}

/// Writes the closing pack into `out/结束总结/`: the city's, then one per
/// department, typeset on every core.
pub(crate) fn write_closing(
    engine: &Engine,
    settings: &Settings,
    returns: &Returns,
    roster: Option<&Roster>,
    made: Date,
    out: &Path,
    emit_data: Option<&Path>,
) -> Result<Vec<Written>, Fault> {
    let scopes: Vec<Option<String>> = std::iter::once(None)
        .chain(departments_of(returns, roster).into_iter().map(Some))
        .collect();
    // Each department's records gathered once, not filtered out of all
    // the returns for each of a hundred packs.
    let mut by_department: HashMap<String, Records> = HashMap::new();
    for v in &returns.visits {
        by_department
            .entry(compact(&v.department))
            .or_default()
            .0
            .push(v);
    }
    for p in &returns.problems {
        by_department
            .entry(compact(&p.department))
            .or_default()
            .1
            .push(p);
    }
    let all: Records = (
        returns.visits.iter().collect(),
        returns.problems.iter().collect(),
    );
    let none: Records = (Vec::new(), Vec::new());
    let packs = Packs {
        returns,
        roster,
        settings,
        made,
    };
    let one = |scope: &Option<String>| -> Result<Written, Fault> {
        let records = match scope {
            None => &all,
            Some(d) => by_department.get(&compact(d)).unwrap_or(&none),
        };
        let closing = packs.of_records(records, scope.as_deref());
        let name = safe_file_name(&format!(
            "走访活动数据汇总_{}",
            scope.as_deref().unwrap_or("全市")
        ));
        let rel = PathBuf::from(CLOSING_FOLDER).join(format!("{name}.pdf"));
        let written = write_pdf(
            engine,
            settings,
            &closing.job(),
            &rel,
            out,
            emit_data,
            "走访活动数据汇总",
        );
        // A pack is a dozen pages of long tables: what it cached goes at
        // once (505 -> 316 MB for the city's 101 packs, 10 -> 11 s).
        crate::typeset::evict_all_caches();
        written
    };
    let (done, ()) = in_parallel_while(&scopes, one, || ());
    done.into_iter().collect()
}
