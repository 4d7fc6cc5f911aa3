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
use crate::render::write_atomic;
use crate::render::{MANIFEST, glyph_problems, render_all};
use crate::report::{json as report_json, write_summary};
use crate::returns::{Date, Returns, parse_date_text, read_returns, show_date};
use crate::roster::Checked;
use crate::settings::Settings;
use crate::summary::{Summary, summarise};

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
    /// 按单位生成全部打印材料（附件1；每名干部的联系卡、附件3和附件4；单位联系卡文件）
    Kits(PrintArgs),
    /// 只生成联系卡（附件2）：每个单位一个供印刷厂用的联系卡文件
    Cards(PrintArgs),
    /// 汇总走访后交回的录入表（以及其他单位的汇总表）：附件5、每周走访情况、报送材料
    Summary(SummaryArgs),
    /// 写出一份示例名单工作簿（常州市几个区、4个单位、10个村（社区）、20名干部）
    Sample {
        /// 要写出的 .xlsx 文件
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// 另外在这个文件夹写出两个单位填好的录入表（走访后交回的样子）
        #[arg(long, value_name = "DIR")]
        returns: Option<PathBuf>,
    },
}

/// Flags of `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// 填好的录入表、其他单位的汇总表（.xlsx/.xls/.et/.ods，或放有 .csv 的文件夹），可以给多个
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// 输出文件夹
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// 走访名单：用来判断村还是社区，核对每名干部交回的表格数和没有走访的村（社区）
    #[arg(long, value_name = "ROSTER")]
    pub roster: Option<PathBuf>,
    /// 每周走访情况的统计期起始日期（如 2017-03-06）
    #[arg(long, value_name = "日期")]
    pub from: Option<String>,
    /// 每周走访情况的统计期截止日期（如 2017-03-12）
    #[arg(long, value_name = "日期")]
    pub to: Option<String>,
    /// 另外写出一份 JSON 数据文件，供其他系统读取
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// 另外使用的字体文件夹
    #[arg(long = "font-path", value_name = "DIR", env = "ZOUFANG_FONT_PATHS")]
    pub font_path: Vec<PathBuf>,
    /// 不显示进度
    #[arg(short, long)]
    pub quiet: bool,
}

/// Flags of the commands that print.
#[derive(Debug, Args)]
pub struct PrintArgs {
    #[command(flatten)]
    pub roster: RosterArgs,
    /// 输出文件夹
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// 不显示进度
    #[arg(short, long)]
    pub quiet: bool,
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
        Command::Kits(args) => print(&args, false),
        Command::Cards(args) => print(&args, true),
        Command::Summary(args) => summary(&args),
        Command::Sample { out, returns } => sample(&out, returns.as_deref()),
    }
}

/// `kits` and `cards`: refuse on any fault, else render the plan.
fn print(print_args: &PrintArgs, cards_only: bool) -> ExitCode {
    let PrintArgs {
        roster: args,
        out,
        quiet,
    } = print_args;
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
    let report = render_all(&engine, &checked.roster, &plan, out, !cards_only);
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

/// `sample`: the demonstration roster, and optionally filled returns for it.
fn sample(out: &Path, returns: Option<&Path>) -> ExitCode {
    if let Err(e) = crate::sample::write_demo_roster(out) {
        eprintln!("示例名单写不进去：{}（{e}）", out.display());
        return ExitCode::from(2);
    }
    println!("示例名单已写到 {}", out.display());
    if let Some(dir) = returns {
        let input = crate::read::read_input(out);
        let checked = crate::roster::build(&input.sheets, &Settings::default(), &out.display().to_string());
        match crate::sample::write_demo_returns(&checked.roster, dir) {
            Ok(files) => {
                for f in files {
                    println!("示例录入表已写到 {}", f.display());
                }
            }
            Err(e) => {
                eprintln!("示例录入表写不进去：{}（{e}）", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

/// `summary`: read every file, count or reject every row, write the outputs.
fn summary(args: &SummaryArgs) -> ExitCode {
    let parse = |text: &Option<String>, flag: &str| -> Result<Option<Date>, ExitCode> {
        match text {
            None => Ok(None),
            Some(t) => parse_date_text(t).map(Some).ok_or_else(|| {
                eprintln!("{flag} 的日期「{t}」看不懂，请写成 2017-03-08 这样的格式。");
                ExitCode::from(2)
            }),
        }
    };
    let (from, to) = match (parse(&args.from, "--from"), parse(&args.to, "--to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let period = match (from, to) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or((1990, 1, 1)), t.unwrap_or((2100, 12, 31)))),
    };
    if let Some((f, t)) = period
        && f > t
    {
        eprintln!("统计期的起始日期晚于截止日期，请检查 --from 和 --to。");
        return ExitCode::from(2);
    }
    let mut returns = Returns::default();
    let mut readable = false;
    for file in &args.files {
        let input = crate::read::read_input(file);
        returns.notes.extend(input.problems);
        if !input.sheets.is_empty() {
            readable = true;
            read_returns(&input.sheets, &file.display().to_string(), &mut returns);
        }
    }
    let roster = args.roster.as_ref().map(|path| {
        let input = crate::read::read_input(path);
        let checked = crate::roster::build(&input.sheets, &Settings::default(), &path.display().to_string());
        let faults = input.problems.iter().chain(&checked.problems).filter(|p| p.is_fault()).count();
        if faults > 0 || input.sheets.is_empty() {
            eprintln!(
                "提醒：名单「{}」有 {faults} 处错误（可用 zoufang check 查看），核对时只用了能读出的部分。",
                path.display()
            );
        }
        checked.roster
    });
    report_problems(&returns.notes);
    report_problems(&returns.rejected);
    if !readable {
        return ExitCode::from(2);
    }
    let summary = summarise(&returns, roster.as_ref(), period);
    let dirs: Vec<&Path> = args.font_path.iter().map(PathBuf::as_path).collect();
    let engine = Engine::new(&dirs, Settings::default().document_date);
    let written = match write_summary(&engine, &summary, &returns, &args.out) {
        Ok(w) => w,
        Err(p) => {
            report_problems(&[p]);
            return ExitCode::from(1);
        }
    };
    if let Some(path) = &args.json {
        let text =
            serde_json::to_string_pretty(&report_json(&summary, &returns)).unwrap_or_default();
        if let Err(e) = write_atomic(path, text.as_bytes()) {
            eprintln!("JSON 文件写不进去：{}（{e}）", path.display());
            return ExitCode::from(1);
        }
    }
    print_account(&returns);
    print_weekly(&summary);
    print_follow_up(&summary);
    println!("已写出 {} 个文件到 {}。", written.len(), args.out.display());
    let faults = returns.notes.iter().filter(|p| p.is_fault()).count();
    if returns.rejected.is_empty() && faults == 0 {
        ExitCode::SUCCESS
    } else {
        println!(
            "有 {} 行没有计入汇总（见上面的说明），改正后重新汇总即可。",
            returns.rejected.len()
        );
        ExitCode::from(1)
    }
}

fn print_account(returns: &Returns) {
    for (name, a) in [
        ("入户调查", &returns.households),
        ("问题清单", &returns.problem_rows),
        ("汇总表", &returns.summary_rows),
    ] {
        if a.read == 0 {
            continue;
        }
        println!(
            "{name}：读入 {} 行 = 计入 {} 行 + 退回 {} 行 + 未填写的空白行 {} 行",
            a.read, a.counted, a.rejected, a.blank
        );
    }
}

fn print_weekly(summary: &Summary) {
    if summary.weekly.is_empty() {
        return;
    }
    match summary.period {
        Some((f, t)) => println!(
            "每周走访情况（{}至{}；括号内为累计）：",
            show_date(f),
            show_date(t)
        ),
        None => println!("走访情况（全部）："),
    }
    let name_w = summary
        .weekly
        .iter()
        .map(|w| width(&w.department))
        .max()
        .unwrap_or(4)
        .max(8)
        + 2;
    let columns = ["干部走访人数", "走访户数", "汇总问题数", "解决问题数"];
    let header: String = columns.iter().map(|c| lpad(c, 18)).collect();
    println!("{}{header}", pad("单位", name_w));
    for w in &summary.weekly {
        let pairs = [
            (w.period.cadres, w.cumulative.cadres),
            (w.period.households, w.cumulative.households),
            (w.period.problems, w.cumulative.problems),
            (w.period.solved, w.cumulative.solved),
        ];
        let cells: String = pairs
            .iter()
            .map(|(p, c)| lpad(&format!("{p}（{c}）"), 18))
            .collect();
        println!("{}{cells}", pad(&w.department, name_w));
    }
}

fn print_follow_up(summary: &Summary) {
    let below: Vec<_> = summary
        .follow_up
        .iter()
        .filter(|f| f.returned < f.printed)
        .collect();
    if !below.is_empty() {
        println!(
            "交回的入户调查表少于印发份数的干部（共 {} 人）：",
            below.len()
        );
        for f in below {
            println!(
                "  {} {}（{}）：印发 {} 份，交回 {} 份",
                f.department, f.cadre, f.id, f.printed, f.returned
            );
        }
    }
    if !summary.unvisited.is_empty() {
        println!(
            "还没有走访记录的村（社区）（共 {} 个）：",
            summary.unvisited.len()
        );
        for l in &summary.unvisited {
            println!("  {}{}{}", l.district, l.town, l.village);
        }
    }
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
