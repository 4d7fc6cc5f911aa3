//! The weekly brief (走访情况周报): a summary with a period as the page its
//! readers look at — the notice's weekly figures per department for the
//! period and to its end, who has reported, and charts. Its charts are also
//! written one by one as SVG, for screens: the same template functions
//! (`charts.typ`) draw both.

use std::path::{Path, PathBuf};

use serde::Serialize;
use typst::foundations::Bytes;

use crate::schema::returns::Category;
use crate::settings::Settings;
use crate::shared::atomic::{Written, write_atomic};
use crate::shared::date::{Date, show_date, week_of, written_date};
use crate::shared::fault::Fault;
use crate::shared::text::compact;
use crate::typeset::{Engine, Job, Stamps, Template, svg_of};

use super::count::{Summary, Tally};
use super::report::{io_fault, template_fault, write_pdf};
use super::returns::Figures;

/// The file name of the brief of a period.
pub(crate) fn brief_file(period: (Date, Date)) -> PathBuf {
    PathBuf::from(format!(
        "走访情况周报_{}至{}.pdf",
        show_date(period.0),
        show_date(period.1)
    ))
}

/// The folder of the brief's charts as SVG.
pub(crate) const CHARTS_FOLDER: &str = "周报图表";

/// The charts, by the name `chart.typ` knows them by, and their files.
const CHARTS: [(&str, &str); 4] = [
    ("progress", "图1_各单位走访进度.svg"),
    ("weeks", "图2_每周走访户数.svg"),
    ("categories", "图3_问题按类别.svg"),
    ("districts", "图4_问题按市区.svg"),
];

/// What `brief.typ` (and `chart.typ`) receives.
#[derive(Debug, Serialize)]
pub(crate) struct Brief {
    title: &'static str,
    campaign: String,
    from: String,
    to: String,
    /// The day the figures are as of.
    made: String,
    /// The weekly figures per department: the roster's first, in its
    /// order (a department that sent nothing shows zeros), then any other.
    departments: Vec<Line>,
    total: Line,
    reporting: Option<Reporting>,
    /// Households visited against forms printed, lowest share first; none
    /// without a roster.
    progress: Option<Vec<Progress>>,
    weeks: Vec<Week>,
    categories: Vec<Split>,
    districts: Vec<Split>,
}

#[derive(Debug, Serialize)]
struct Line {
    name: String,
    period: Figures,
    cumulative: Figures,
}

#[derive(Debug, Serialize)]
struct Reporting {
    expected: usize,
    reported: usize,
    missing: Vec<String>,
    /// `60%`.
    share: String,
}

#[derive(Debug, Serialize)]
struct Progress {
    name: String,
    visited: u64,
    printed: u64,
    percent: u64,
    /// Household forms back on paper (scanned), when the ledger notes any.
    paper: Option<u64>,
}

/// A week's bar of the weekly chart.
#[derive(Debug, Serialize)]
pub(crate) struct Week {
    /// `3/6–3/12`.
    label: String,
    households: u64,
    /// The week the period ends in.
    current: bool,
}

/// The weekly chart's bars: households per week (by its Monday), the week
/// of `current` marked.
pub(crate) fn week_bars(weeks: &[(Date, u64)], current: Option<Date>) -> Vec<Week> {
    weeks
        .iter()
        .map(|&(monday, households)| {
            let sunday = week_of(monday).1;
            Week {
                label: format!(
                    "{}/{}–{}/{}",
                    monday.month(),
                    monday.day(),
                    sunday.month(),
                    sunday.day()
                ),
                households,
                current: Some(monday) == current,
            }
        })
        .collect()
}

/// A bar of solved and pending problems.
#[derive(Debug, Serialize)]
pub(crate) struct Split {
    pub(crate) name: String,
    pub(crate) solved: u64,
    pub(crate) pending: u64,
}

/// `part` in per cent of `whole`, rounded; 0 of nothing.
pub(crate) fn percent(part: u64, whole: u64) -> u64 {
    (part * 100 + whole / 2).checked_div(whole).unwrap_or(0)
}

impl Split {
    pub(crate) fn new(name: String, tally: Tally) -> Split {
        Split {
            name,
            solved: tally.solved,
            pending: tally.pending,
        }
    }
}

impl Brief {
    /// The brief of `summary`, whose period is `period`, as of `made`.
    pub(crate) fn new(
        summary: &Summary,
        settings: &Settings,
        period: (Date, Date),
        made: Date,
    ) -> Brief {
        let mut departments: Vec<Line> = Vec::new();
        let mut rest: Vec<&super::count::Weekly> = summary.weekly.iter().collect();
        let mut take = |name: &str| {
            let key = compact(name);
            rest.iter()
                .position(|w| compact(&w.department) == key)
                .map(|i| rest.remove(i))
        };
        let mut progress = Vec::new();
        for (name, printed) in summary.printed.iter().flatten() {
            let w = take(name);
            let visited = w.map_or(0, |w| w.cumulative.households);
            progress.push(Progress {
                name: name.clone(),
                visited,
                printed: *printed,
                percent: percent(visited, *printed),
                paper: summary
                    .paper
                    .iter()
                    .flatten()
                    .find(|p| p.department == *name)
                    .map(|p| p.returned),
            });
            departments.push(Line {
                name: name.clone(),
                period: w.map(|w| w.period.clone()).unwrap_or_default(),
                cumulative: w.map(|w| w.cumulative.clone()).unwrap_or_default(),
            });
        }
        departments.extend(rest.into_iter().map(|w| Line {
            name: w.department.clone(),
            period: w.period.clone(),
            cumulative: w.cumulative.clone(),
        }));
        let sum = |pick: fn(&Line) -> &Figures| {
            departments
                .iter()
                .map(pick)
                .fold(Figures::default(), |mut a, f| {
                    a.cadres += f.cadres;
                    a.households += f.households;
                    a.problems += f.problems;
                    a.solved += f.solved;
                    a
                })
        };
        let total = Line {
            name: "合计".to_string(),
            period: sum(|l| &l.period),
            cumulative: sum(|l| &l.cumulative),
        };
        progress.sort_by(|a, b| a.percent.cmp(&b.percent).then(a.visited.cmp(&b.visited)));
        let weeks = week_bars(&summary.weeks, Some(week_of(period.1).0));
        // Charts 3 and 4 count the problems as the text does: as they stood
        // at the period's end.
        let at_end = &summary.at_end;
        let categories = Category::ALL
            .into_iter()
            .map(|c| {
                let tally = at_end
                    .categories
                    .get(c.index())
                    .copied()
                    .unwrap_or_default();
                Split::new(c.label().to_string(), tally)
            })
            .collect();
        let districts = at_end
            .districts
            .iter()
            .map(|(name, tally)| {
                let name = if name.is_empty() {
                    "（未填）".to_string()
                } else {
                    name.clone()
                };
                Split::new(name, *tally)
            })
            .collect();
        Brief {
            title: "走访情况周报",
            campaign: settings.campaign_title.clone(),
            from: written_date(period.0),
            to: written_date(period.1),
            made: written_date(made),
            departments,
            total,
            reporting: summary.completeness.as_ref().map(|c| Reporting {
                expected: c.expected,
                reported: c.reported.len(),
                missing: c.missing.clone(),
                share: format!("{}%", percent(c.reported.len() as u64, c.expected as u64)),
            }),
            progress: summary.printed.is_some().then_some(progress),
            weeks,
            categories,
            districts,
        }
    }
}

/// The brief's table of weekly figures: every department of the roster
/// (zeros for one that sent nothing), then any other, then 合计.
#[derive(Debug, Serialize)]
pub(crate) struct Table<'a> {
    departments: &'a [Line],
    total: &'a Line,
}

impl Brief {
    /// The table the brief prints, for the page to show the same.
    pub(crate) fn table(&self) -> Table<'_> {
        Table {
            departments: &self.departments,
            total: &self.total,
        }
    }

    /// The job of typesetting the brief.
    pub(crate) fn job(&self) -> Job {
        Job {
            template: Template::Brief,
            data: Bytes::new(serde_json::to_vec(self).unwrap_or_default()),
            files: Vec::new(),
            stamps: Stamps::None,
        }
    }

    /// The job of typesetting one of its charts alone: the brief's data,
    /// with the chart's name and number.
    pub(crate) fn chart_job(&self, chart: &str, number: usize) -> Job {
        let mut data = serde_json::to_value(self).unwrap_or_default();
        data["chart"] = chart.into();
        data["number"] = number.into();
        Job {
            template: Template::Chart,
            data: Bytes::new(serde_json::to_vec(&data).unwrap_or_default()),
            files: Vec::new(),
            stamps: Stamps::None,
        }
    }
}

/// Writes the brief into `out`, and its charts as SVG into `周报图表/`.
pub(crate) fn write_brief(
    engine: &Engine,
    settings: &Settings,
    brief: &Brief,
    period: (Date, Date),
    out: &Path,
    emit_data: Option<&Path>,
) -> Result<Vec<Written>, Fault> {
    let brief_pdf = write_pdf(
        engine,
        settings,
        &brief.job(),
        &brief_file(period),
        out,
        emit_data,
        "走访情况周报",
    )?;
    let mut written = vec![brief_pdf];
    for (number, (chart, file)) in CHARTS.iter().enumerate() {
        let rel = Path::new(CHARTS_FOLDER).join(file);
        let job = brief.chart_job(chart, number + 1);
        if let Some(dir) = emit_data {
            job.emit(dir, &rel)?;
        }
        let svg = svg_of(engine, &job)
            .map_err(|e| template_fault(Template::Chart, "走访情况周报的图表", e))?;
        let path = out.join(&rel);
        write_atomic(&path, svg.as_bytes()).map_err(|e| io_fault(&path, &e))?;
        written.push(Written {
            path: rel,
            pages: 0,
            bytes: svg.len(),
        });
    }
    Ok(written)
}
