//! The command line: `zoufang check` and `zoufang kits`. Messages are in
//! Chinese, for the office clerks who run it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::engine::Engine;
use crate::plan::{Plan, Totals, plan};
use crate::problem::Problem;
use crate::qr::QrMode;
use crate::render::{MANIFEST, glyph_problems, render_all};
use crate::roster::Checked;
use crate::settings::Settings;

/// 走访：把走访名单变成可直接打印的调查表和联系卡。
#[derive(Debug, Parser)]
#[command(name = "zoufang", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 检查名单，列出将要打印的材料和名单中的全部问题
    Check(RosterArgs),
    /// 按单位生成全部打印材料（附件1、每名干部的附件3和附件4）
    Kits {
        #[command(flatten)]
        roster: RosterArgs,
        /// 输出文件夹
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// 不显示进度
        #[arg(short, long)]
        quiet: bool,
    },
    /// 只生成联系卡（附件2）：每个单位一个供印刷厂用的联系卡文件
    Cards {
        #[command(flatten)]
        roster: RosterArgs,
        /// 输出文件夹
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// 不显示进度
        #[arg(short, long)]
        quiet: bool,
    },
    /// 写出一份示例名单工作簿（常州市几个区、4个单位、10个村（社区）、20名干部）
    Sample {
        /// 要写出的 .xlsx 文件
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

/// Flags shared by every command that reads a roster.
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// 名单工作簿（.xlsx/.xls/.et/.ods），或放有 .csv 表格的文件夹
    #[arg(value_name = "ROSTER")]
    pub roster: PathBuf,
    /// 活动年度（附件1中“上一年”各行按此年减一印出）
    #[arg(long, value_name = "YEAR", env = "ZOUFANG_YEAR")]
    pub year: Option<i32>,
    /// 另外使用的字体文件夹（例如装有仿宋_GB2312、方正小标宋简体的文件夹）
    #[arg(long = "font-path", value_name = "DIR", env = "ZOUFANG_FONT_PATHS")]
    pub font_path: Vec<PathBuf>,
    /// 联系卡上印的监督服务热线（不填则不印）
    #[arg(long, value_name = "号码", env = "ZOUFANG_HOTLINE")]
    pub hotline: Option<String>,
    /// 联系卡二维码改为网址：{编号} 处填干部编号，如 https://example.gov.cn/c/{编号}（不填则为电子名片 vCard）
    #[arg(long = "qr-url", value_name = "网址模板", env = "ZOUFANG_QR_URL")]
    pub qr_url: Option<String>,
}

impl RosterArgs {
    fn settings(&self) -> Settings {
        let mut settings = match self.year {
            Some(y) => Settings::for_year(y),
            None => Settings::default(),
        };
        if let Some(hotline) = &self.hotline {
            settings.hotline = crate::text::clean(hotline);
        }
        if let Some(url) = &self.qr_url {
            settings.qr_mode = QrMode::Url(url.trim().to_string());
        }
        settings
    }

    fn engine(&self, settings: &Settings) -> Engine {
        let dirs: Vec<&Path> = self.font_path.iter().map(PathBuf::as_path).collect();
        Engine::new(&dirs, settings.document_date)
    }
}

/// Runs the command line and decides the exit status: 0 when everything was
/// printable (and printed), 1 when the input has faults, 2 when nothing could be read.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => {
            let settings = args.settings();
            let engine = args.engine(&settings);
            let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
                return ExitCode::from(2);
            };
            print_plan(&args.roster, &plan);
            verdict(&checked)
        }
        Command::Kits {
            roster: args,
            out,
            quiet,
        } => print(&args, &out, quiet, false),
        Command::Cards {
            roster: args,
            out,
            quiet,
        } => print(&args, &out, quiet, true),
        Command::Sample { out } => match crate::sample::write_demo_roster(&out) {
            Ok(()) => {
                println!("示例名单已写到 {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("示例名单写不进去：{}（{e}）", out.display());
                ExitCode::from(2)
            }
        },
    }
}

/// `kits` and `cards`: refuse on any fault, else render the plan.
fn print(args: &RosterArgs, out: &Path, quiet: bool, cards_only: bool) -> ExitCode {
    let settings = args.settings();
    let engine = args.engine(&settings);
    let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
        return ExitCode::from(2);
    };
    if checked.has_faults() {
        eprintln!("名单有错误，没有生成任何材料。请按上面的提示改正后再运行。");
        return ExitCode::from(1);
    }
    let plan = if cards_only { plan.cards_only() } else { plan };
    let total = plan.total();
    if !quiet {
        eprintln!(
            "开始生成：{} 个文件，共 {} 页……",
            plan.documents.len(),
            total.pages
        );
    }
    let started = Instant::now();
    let report = render_all(&engine, &checked.roster, &plan, out);
    if !report.failures.is_empty() {
        report_problems(&report.failures);
        eprintln!(
            "有 {} 处问题，材料没有全部生成，请按上面的提示处理后重新运行。",
            report.failures.len()
        );
        return ExitCode::from(1);
    }
    let pages: usize = report.written.iter().map(|w| w.pages).sum();
    let bytes: usize = report.written.iter().map(|w| w.bytes).sum();
    println!(
        "已生成 {} 个文件，共 {} 页，{:.1} MB，用时 {:.1} 秒。输出文件夹：{}（文件清单见 {}）",
        report.written.len(),
        pages,
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64(),
        out.display(),
        MANIFEST
    );
    ExitCode::SUCCESS
}

/// Reads and checks a roster and makes its plan, printing every problem
/// found. `None` when no sheet could be read at all.
pub fn load(path: &Path, settings: &Settings, engine: &Engine) -> Option<(Checked, Plan)> {
    let input = crate::read::read_input(path);
    if input.sheets.is_empty() {
        report_problems(&input.problems);
        return None;
    }
    let mut checked = crate::roster::build(&input.sheets, settings, &path.display().to_string());
    let (plan, plan_problems) = plan(&checked.roster, settings);
    let mut problems = input.problems;
    problems.append(&mut checked.problems);
    problems.extend(glyph_problems(engine, &checked.roster));
    problems.extend(plan_problems);
    crate::problem::sort(&mut problems);
    report_problems(&problems);
    checked.problems = problems;
    Some((checked, plan))
}

fn report_problems(problems: &[Problem]) {
    for p in problems {
        eprintln!("{p}");
    }
}

fn verdict(checked: &Checked) -> ExitCode {
    let faults = checked.problems.iter().filter(|p| p.is_fault()).count();
    let warnings = checked.problems.len() - faults;
    if faults > 0 {
        println!("名单有 {faults} 处错误、{warnings} 处提醒：改正错误后才能打印。");
        ExitCode::from(1)
    } else {
        println!("名单可以打印（{warnings} 处提醒，可不改）。");
        ExitCode::SUCCESS
    }
}

/// Display width of a string in a terminal: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn lpad(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

fn print_plan(path: &Path, plan: &Plan) {
    println!("打印计划（名单：{}）", path.display());
    let name_w = plan
        .departments
        .iter()
        .map(|(n, _)| width(n))
        .max()
        .unwrap_or(4)
        .max(8)
        + 2;
    let columns = ["村（社区）", "干部", "入户调查表", "联系卡", "页数"];
    let header: String = columns.iter().map(|c| lpad(c, 12)).collect();
    println!("{}{header}", pad("单位", name_w));
    let line = |name: &str, t: &Totals| {
        let cells = [
            t.villages as u64,
            t.cadres as u64,
            t.household_forms,
            t.cards,
            t.pages,
        ];
        let cells: String = cells.iter().map(|n| lpad(&n.to_string(), 12)).collect();
        println!("{}{cells}", pad(name, name_w));
    };
    for (name, totals) in &plan.departments {
        line(name, totals);
    }
    line("合计", &plan.total());
}
