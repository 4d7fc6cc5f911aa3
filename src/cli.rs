//! The command line: `zoufang check` and `zoufang kits`. Messages are in
//! Chinese, for the office clerks who run it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::engine::Engine;
use crate::plan::{Plan, Totals, plan};
use crate::problem::Problem;
use crate::progress::Progress;
use crate::qr::QrMode;
use crate::render::write_atomic;
use crate::render::{MANIFEST, Output, glyph_problems, render_all};
use crate::report::{json as report_json, write_tables, write_workbook};
use crate::returns::{
    Date, Returns, holds_households, parse_date_text, read_returns, read_returns_of, show_date,
};
use crate::roster::Checked;
use crate::settings::{SETTINGS_FILE, Settings};
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
    /// 只生成联系卡（附件2）：每个单位供印刷厂用的联系卡文件（每 30 名干部一册）
    Cards(PrintArgs),
    /// 汇总走访后交回的录入表（以及其他单位的汇总表）：附件5、每周走访情况、报送材料
    Summary(SummaryArgs),
    /// 新建一份空白名单（三张表、示例行、下拉框、说明）和设置文件 zoufang.toml
    Init {
        /// 要写入的文件夹
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// 模板：export 导出内置模板，修改后用 --templates 使用
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// 每种页面各出一张 PNG 预览图（附件1、联系卡正反面、附件3、附件4；给了录入表再加附件5）
    Preview {
        #[command(flatten)]
        roster: RosterArgs,
        /// 输出文件夹
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// 填好的录入表，用来预览附件5
        #[arg(long, value_name = "FILE")]
        returns: Vec<PathBuf>,
    },
    /// 只用 calamine 读出文件里的全部工作表（性能测试用来对照）
    #[command(hide = true)]
    ReadWithCalamine {
        /// 要读的文件
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// 性能测试：在模拟全市名单上测 kits 和 summary 的速度和内存，结果写入 BENCHMARKS.md
    Bench {
        /// 放测试文件的文件夹
        #[arg(
            short = 'o',
            long = "out",
            value_name = "DIR",
            default_value = "target/zoufang-bench"
        )]
        dir: PathBuf,
        /// kits 测试的干部人数
        #[arg(long, value_name = "人数", value_delimiter = ',', default_values_t = [200, 1000, 6000])]
        cadres: Vec<usize>,
        /// summary 测试的干部人数（每人约 31 户、每户约 0.25 个问题）
        #[arg(long = "summary-cadres", value_name = "人数", value_delimiter = ',', default_values_t = [300, 6000])]
        summary_cadres: Vec<usize>,
        /// 结果写到这个文件
        #[arg(long, value_name = "FILE", default_value = "BENCHMARKS.md")]
        report: PathBuf,
    },
    /// 写出一份示例名单工作簿（常州市几个区、4个单位、10个村（社区）、20名干部）
    Sample {
        /// 要写出的 .xlsx 文件
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// 另外在这个文件夹写出填好的录入表（走访后交回的样子）
        #[arg(long, value_name = "DIR")]
        returns: Option<PathBuf>,
        /// 改为生成一个有这么多名干部的模拟全市名单（约每5名干部一个村（社区）、每60名一个单位），用于测速
        #[arg(long, value_name = "人数")]
        cadres: Option<usize>,
    },
}

/// What `templates` does.
#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// 把内置模板和公共样式文件写到一个文件夹
    Export {
        /// 要写入的文件夹
        #[arg(value_name = "DIR")]
        dir: PathBuf,
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
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
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
    /// 把每个模板收到的数据（JSON）写到这个文件夹，便于用 Typst 修改模板
    #[arg(long = "emit-data", value_name = "DIR")]
    pub emit_data: Option<PathBuf>,
}

/// Flags shared by every command that reads a roster.
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// 名单工作簿（.xlsx/.xls/.et/.ods），或放有 .csv 表格的文件夹
    #[arg(value_name = "ROSTER")]
    pub roster: PathBuf,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Flags that override the settings file.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// 设置文件（默认用名单旁边的 zoufang.toml，没有则全用默认值）
    #[arg(long, value_name = "FILE", env = "ZOUFANG_CONFIG")]
    pub config: Option<PathBuf>,
    /// 活动年度（附件1中“上一年”各行按此年减一印出）
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,
    /// 联系卡上印的监督服务热线（不填则不印）
    #[arg(long, value_name = "号码")]
    pub hotline: Option<String>,
    /// 联系卡二维码改为网址：{编号} 处填干部编号，如 https://example.gov.cn/c/{编号}（不填则为电子名片 vCard）
    #[arg(long = "qr-url", value_name = "网址模板")]
    pub qr_url: Option<String>,
    /// PDF 标准：a-2b 生成便于长期存档的 PDF/A-2b
    #[arg(long = "pdf-standard", value_name = "标准", value_parser = ["a-2b"])]
    pub pdf_standard: Option<String>,
}

impl SettingsArgs {
    /// Defaults, then the settings file (given, or next to `near`), then the
    /// flags; `SOURCE_DATE_EPOCH` fixes the document date when the file does not.
    pub fn settings(&self, near: Option<&Path>) -> Result<Settings, Vec<Problem>> {
        let beside = near.map(|p| {
            if p.is_dir() {
                p.join(SETTINGS_FILE)
            } else {
                p.with_file_name(SETTINGS_FILE)
            }
        });
        let file = self.config.clone().or(beside.filter(|p| p.is_file()));
        // SOURCE_DATE_EPOCH gives the default date; a date in the file wins over it.
        let mut base = Settings::default();
        if let Some(date) = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            && let Some((y, m, d)) =
                crate::returns::from_serial(date.div_euclid(86_400) as f64 + 25_569.0)
        {
            base.document_date = (y, m as u8, d as u8);
        }
        let mut settings = match &file {
            Some(path) => Settings::load(path, base)?,
            None => base,
        };
        if let Some(y) = self.year {
            settings.campaign_year = y;
        }
        if let Some(hotline) = &self.hotline {
            settings.hotline = crate::text::clean(hotline);
        }
        if let Some(url) = &self.qr_url {
            settings.qr_mode = QrMode::Url(url.trim().to_string());
        }
        if self.pdf_standard.is_some() {
            settings.pdf_a = true;
        }
        Ok(settings)
    }
}

/// Flags that choose fonts and templates.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// 另外使用的字体文件夹（例如装有仿宋_GB2312、方正小标宋简体的文件夹）
    #[arg(long = "font-path", value_name = "DIR", env = "ZOUFANG_FONT_PATHS")]
    pub font_path: Vec<PathBuf>,
    /// 使用这个文件夹里的模板（先用 zoufang templates export 导出再修改），不用内置模板
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl EngineArgs {
    fn engine(&self, settings: &Settings) -> Result<Engine, Problem> {
        let dirs: Vec<&Path> = self.font_path.iter().map(PathBuf::as_path).collect();
        Engine::new(&dirs, settings.document_date, self.templates.as_deref())
    }
}

/// Settings and engine for a command, or the exit status after reporting why not.
fn setup(
    settings: &SettingsArgs,
    engine: &EngineArgs,
    near: Option<&Path>,
) -> Result<(Settings, Engine), ExitCode> {
    let settings = settings.settings(near).map_err(|problems| {
        report_problems(&problems);
        ExitCode::from(2)
    })?;
    let engine = engine.engine(&settings).map_err(|p| {
        report_problems(&[p]);
        ExitCode::from(2)
    })?;
    Ok((settings, engine))
}

/// Runs the command line and decides the exit status: 0 when everything was
/// printable (and printed), 1 when the input has faults, 2 when nothing could be read.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let code = command(cli.command);
    // Whatever a command wrote and did not flush itself.
    match sync_written() {
        Ok(()) => code,
        Err(failed) => failed,
    }
}

/// Flushes what was written to the disk, or says it could not.
fn sync_written() -> Result<(), ExitCode> {
    crate::render::sync_written().map_err(|e| {
        eprintln!(
            "文件没能全部存到磁盘上（{e}）：请检查输出文件夹所在的磁盘是否已满或已拔出，然后重新运行。"
        );
        ExitCode::from(1)
    })
}

fn command(command: Command) -> ExitCode {
    match command {
        Command::Check(args) => {
            let (settings, engine) = match setup(&args.settings, &args.engine, Some(&args.roster)) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
                return ExitCode::from(2);
            };
            print_plan(&args.roster, &plan);
            verdict(&checked)
        }
        Command::Kits(args) => print(&args, false),
        Command::Cards(args) => print(&args, true),
        Command::Summary(args) => summary(&args),
        Command::Sample {
            out,
            returns,
            cadres,
        } => sample(&out, returns.as_deref(), cadres),
        Command::Init { dir } => init(&dir),
        Command::ReadWithCalamine { files } => {
            if crate::bench::read_with_calamine(&files) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Bench {
            dir,
            cadres,
            summary_cadres,
            report,
        } => match crate::bench::run(&dir, &cadres, &summary_cadres) {
            Ok(text) => match write_atomic(&report, text.as_bytes()) {
                Ok(()) => {
                    println!("{text}\n结果已写入 {}", report.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("结果写不进去：{}（{e}）", report.display());
                    ExitCode::from(2)
                }
            },
            Err(e) => {
                eprintln!("性能测试没有完成：{e}");
                ExitCode::from(2)
            }
        },
        Command::Templates {
            action: TemplatesAction::Export { dir },
        } => export_templates(&dir),
        Command::Preview {
            roster,
            out,
            returns,
        } => preview(&roster, &out, &returns),
    }
}

/// The roster checked and planned, when it has no fault; else the problems
/// are reported with `refused` (what was not done) and the exit status returned.
fn printable(
    args: &RosterArgs,
    refused: &str,
) -> Result<(Settings, Engine, Checked, Plan), ExitCode> {
    let (settings, engine) = setup(&args.settings, &args.engine, Some(&args.roster))?;
    let Some((checked, plan)) = load(&args.roster, &settings, &engine) else {
        return Err(ExitCode::from(2));
    };
    if checked.has_faults() {
        eprintln!("名单有错误，{refused}。请按上面的提示改正后再运行。");
        return Err(ExitCode::from(1));
    }
    Ok((settings, engine, checked, plan))
}

/// `kits` and `cards`: refuse on any fault, else render the plan.
fn print(print_args: &PrintArgs, cards_only: bool) -> ExitCode {
    let PrintArgs {
        roster: args,
        out,
        quiet,
        emit_data,
    } = print_args;
    let (settings, engine, checked, plan) = match printable(args, "没有生成任何材料") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = if cards_only { plan.cards_only() } else { plan };
    let total = plan.total();
    if !quiet {
        eprintln!(
            "开始排版：{} 个 PDF 文件，共 {} 页……",
            plan.documents.len(),
            total.pages
        );
    }
    let progress = Progress::new(plan.documents.len() as u64, "文件", *quiet);
    let started = Instant::now();
    let output = Output {
        dir: out,
        entry_workbooks: !cards_only,
        emit_data: emit_data.as_deref(),
        progress: &progress,
    };
    let report = render_all(&engine, &settings, &checked.roster, &plan, &output);
    progress.finish();
    if !report.failures.is_empty() {
        report_problems(&report.failures);
        eprintln!(
            "有 {} 处问题，材料没有全部生成，请按上面的提示处理后重新运行。",
            report.failures.len()
        );
        return ExitCode::from(1);
    }
    if let Err(code) = sync_written() {
        return code;
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

/// `init`: a blank roster and a commented settings file, never over existing files.
fn init(dir: &Path) -> ExitCode {
    let roster = dir.join("名单.xlsx");
    let config = dir.join(SETTINGS_FILE);
    for path in [&roster, &config] {
        if path.exists() {
            eprintln!(
                "{} 已经存在，没有覆盖。请换一个文件夹，或先把它移走。",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    let result = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| crate::sample::write_blank_roster(&roster).map_err(|e| e.to_string()))
        .and_then(|_| {
            write_atomic(&config, crate::settings::DEFAULT_SETTINGS_FILE.as_bytes())
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(()) => {
            println!(
                "已写出空白名单 {} 和设置文件 {}。",
                roster.display(),
                config.display()
            );
            println!("填好名单后运行：zoufang check {}", roster.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("写不进去：{}（{e}）", dir.display());
            ExitCode::from(2)
        }
    }
}

/// `templates export`: the built-in templates, as files an office can edit.
fn export_templates(dir: &Path) -> ExitCode {
    for (name, text) in crate::engine::BUILTIN_TEMPLATES {
        if let Err(e) = write_atomic(&dir.join(name), text.as_bytes()) {
            eprintln!("模板写不进去：{}（{e}）", dir.join(name).display());
            return ExitCode::from(2);
        }
    }
    println!(
        "已把 {} 个模板写到 {}。修改后用 --templates {} 生成材料；公共样式（字体、页边距）在 style.typ。",
        crate::engine::BUILTIN_TEMPLATES.len(),
        dir.display(),
        dir.display()
    );
    ExitCode::SUCCESS
}

/// `preview`: one PNG of each kind of page, at screen resolution.
fn preview(args: &RosterArgs, out: &Path, returns_files: &[PathBuf]) -> ExitCode {
    let (settings, engine, checked, plan) = match printable(args, "没有生成预览") {
        Ok(p) => p,
        Err(code) => return code,
    };
    use crate::engine::Template;
    use typst::foundations::Bytes;
    // Each document typeset once: (template, data, files, [(picture, page)]).
    type Pictures = Vec<(&'static str, usize)>;
    let mut documents: Vec<(Template, Bytes, crate::plan::Files, Pictures)> = Vec::new();
    let first = |template| plan.documents.iter().find(|d| d.template == template);
    if let Some(doc) = first(Template::Village) {
        let pictures = vec![("附件1_村（社区）调查表", 0)];
        let (data, files) = plan.payload(doc, &checked.roster, &settings);
        documents.push((doc.template, data, files, pictures));
    }
    if let Some(doc) = first(Template::Kit) {
        let cards = crate::plan::card_pages(doc.cards) as usize;
        let pictures = vec![
            ("附件2_走访联系卡_正面", 0),
            ("附件2_走访联系卡_反面", 1),
            ("附件3_群众入户调查表", cards),
            ("附件4_问题清单", doc.pages as usize - 1),
        ];
        let (data, files) = plan.payload(doc, &checked.roster, &settings);
        documents.push((doc.template, data, files, pictures));
    }
    if !returns_files.is_empty() {
        let mut returns = Returns::default();
        for file in returns_files {
            let input = crate::read::read_input(file);
            read_returns(&input.sheets, &file.display().to_string(), &mut returns);
        }
        let summary = summarise(&returns, Some(&checked.roster), None);
        if let Some(t) = summary
            .annex5
            .iter()
            .find(|t| t.level == crate::summary::Level::Village)
        {
            let data = serde_json::json!({"title": t.title(), "tables": [crate::report::table_data(t, "")]});
            let data = Bytes::new(serde_json::to_vec(&data).unwrap_or_default());
            documents.push((
                Template::Summary,
                data,
                Vec::new(),
                vec![("附件5_汇总表", 0)],
            ));
        }
    }
    let options = typst_render::RenderOptions {
        pixel_per_pt: 1.5.into(),
        render_bleed: false,
    };
    for (template, data, files, pictures) in documents {
        let typeset = match engine.typeset(template, &data, &files) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{} 排不出来：{e:?}", pictures[0].0);
                return ExitCode::from(1);
            }
        };
        for (name, page) in pictures {
            let Some(page) = typeset.document.pages().get(page) else {
                continue;
            };
            let png = typst_render::render(page, &options)
                .encode_png()
                .unwrap_or_default();
            let path = out.join(format!("{name}.png"));
            if let Err(e) = write_atomic(&path, &png) {
                eprintln!("预览图写不进去：{}（{e}）", path.display());
                return ExitCode::from(2);
            }
            println!("{}", path.display());
        }
    }
    ExitCode::SUCCESS
}

/// `sample`: the demonstration roster, and optionally filled returns for it.
fn sample(out: &Path, returns: Option<&Path>, cadres: Option<usize>) -> ExitCode {
    let written = match cadres {
        Some(n) => crate::sample::write_city_roster(out, n),
        None => crate::sample::write_demo_roster(out),
    };
    if let Err(e) = written {
        eprintln!("示例名单写不进去：{}（{e}）", out.display());
        return ExitCode::from(2);
    }
    println!("示例名单已写到 {}", out.display());
    if let Some(dir) = returns {
        let input = crate::read::read_input(out);
        let checked = crate::roster::build(
            &input.sheets,
            &Settings::default(),
            &out.display().to_string(),
        );
        match crate::sample::write_demo_returns(&checked.roster, dir, cadres.is_some()) {
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
    let (settings, engine) = match setup(&args.settings, &args.engine, args.roster.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
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
    // A workbook is read in two parts on two threads: its household tables
    // (known by their first rows), and the rest. The annex-5 PDFs and the
    // problem lists need only the rest, and are made while the household
    // tables are still being read.
    let progress = Progress::new(args.files.len() as u64, "表格文件", args.quiet);
    let source = |file: &PathBuf| file.display().to_string();
    let read_households = |file: &PathBuf, sheets: crate::read::Later| {
        let input = crate::read::read_later(file, sheets);
        let mut part = Returns::default();
        part.notes.extend(input.problems);
        read_returns(&input.sheets, &source(file), &mut part);
        drop(input.sheets);
        crate::engine::release_free_memory();
        progress.inc(0);
        (part, input.broken)
    };
    let read = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel();
        let households = scope.spawn(move || {
            receive
                .into_iter()
                .map(|(i, sheets)| (i, read_households(&args.files[i], sheets)))
                .collect::<Vec<_>>()
        });
        let mut first = Vec::new();
        let mut readable = false;
        for (i, file) in args.files.iter().enumerate() {
            let mut input = crate::read::read_input_deferring(file, &holds_households);
            let split = !input.later.is_empty();
            if split {
                let _ = send.send((i, std::mem::take(&mut input.later)));
                let now = crate::read::read_later(file, std::mem::take(&mut input.now));
                input.sheets = now.sheets;
                input.problems.extend(now.problems);
                input.broken |= now.broken;
            }
            let mut part = Returns::default();
            part.notes.append(&mut input.problems);
            if !input.sheets.is_empty() || split {
                readable = true;
                read_returns_of(&input.sheets, &source(file), split, &mut part);
            }
            // The sheets' cells are free now; the returns kept from them are
            // a fraction of their size (see `engine::release_free_memory`).
            drop(input.sheets);
            crate::engine::release_free_memory();
            if !split {
                progress.inc(0);
            }
            first.push((part, input.broken));
        }
        drop(send);
        if !readable {
            progress.finish();
            for (part, _) in &first {
                report_problems(&part.notes);
            }
            return None;
        }
        let problems = Returns {
            problems: first
                .iter()
                .flat_map(|(p, _)| p.problems.iter().cloned())
                .collect(),
            ..Returns::default()
        };
        let annex5 = summarise(&problems, roster.as_ref(), period);
        let read_rest = || {
            let mut late: Vec<Option<(Returns, bool)>> = first.iter().map(|_| None).collect();
            for (i, part) in households
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
            {
                late[i] = Some(part);
            }
            progress.finish();
            // In the order one read of each file gave: household tables first.
            let mut returns = Returns::default();
            let mut tables_complete = true;
            for ((part, broken), late) in first.into_iter().zip(late) {
                let (households, late_broken) = late.unwrap_or_default();
                if broken || late_broken {
                    // A file the library gave up on part way counts for nothing.
                    tables_complete &= part.problems.is_empty();
                    returns.notes.extend(households.notes);
                    returns.notes.extend(part.notes);
                    continue;
                }
                tables_complete &= households.problems.is_empty();
                returns.append(households);
                returns.append(part);
            }
            let summary = summarise(&returns, roster.as_ref(), period);
            let workbook = write_workbook(&summary, &args.out);
            (returns, summary, workbook, tables_complete)
        };
        Some(write_tables(
            &engine, &settings, &annex5, &problems, &args.out, read_rest,
        ))
    });
    let Some((tables, (returns, summary, workbook, tables_complete))) = read else {
        return ExitCode::from(2);
    };
    report_problems(&returns.notes);
    report_problems(&returns.rejected);
    // A sheet taken for a household table by its first rows held problems
    // after all (rows out of order): the tables are made again with them.
    let tables = if tables_complete {
        tables
    } else {
        write_tables(&engine, &settings, &summary, &returns, &args.out, || ()).0
    };
    let written = match tables.and_then(|mut w| {
        w.push(workbook?);
        Ok(w)
    }) {
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
    if let Err(code) = sync_written() {
        return code;
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
    // The roster's cells and the planning's scratch are free now: what a run
    // holds before it renders should be the plan, not its leftovers.
    crate::engine::release_free_memory();
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
    let rows = checked.rows;
    if rows.reported == 0 {
        println!("名单共 {} 行数据，全部读入。", rows.read);
    } else {
        println!(
            "名单共 {} 行数据：读入 {} 行，另有 {} 行没有读入，原因见上面的错误或提醒。",
            rows.read, rows.used, rows.reported
        );
    }
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
