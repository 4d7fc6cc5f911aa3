//! The command line's arguments (clap), and how they become settings and an engine.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::settings::{QrMode, SETTINGS_FILE, Settings};
use crate::shared::fault::Fault;
use crate::typeset::Engine;

/// 走访：把走访名单变成可直接打印的调查表和联系卡。
#[derive(Debug, Parser)]
#[command(name = "zoufang", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// 检查名单，列出将要打印的材料和名单中的全部问题
    Check(RosterArgs),
    /// 按单位生成全部打印材料（附件1；每名干部的联系卡、附件3和附件4；单位联系卡文件）
    Kits(PrintArgs),
    /// 只生成联系卡（附件2）：每个单位供印刷厂用的联系卡文件（每 30 名干部一册）
    Cards(PrintArgs),
    /// 汇总走访后交回的录入表（以及其他单位的汇总表）：附件5、每周走访情况、报送材料
    Summary(SummaryArgs),
    /// 读扫描件：认出每一页是哪张表（入户调查表看填没填），按干部统计交回、没交回的表，写出交回情况.xlsx
    Scan(ScanArgs),
    /// 台账：列出导入过的表格（list），看一次导入的详情（show 次数），撤回一次导入（withdraw 次数）
    Ledger {
        #[command(subcommand)]
        action: LedgerAction,
        /// 台账文件
        #[arg(
            long,
            value_name = "FILE",
            default_value = "台账.sqlite",
            global = true
        )]
        ledger: PathBuf,
    },
    /// 新建一份空白名单（三张表、示例行、下拉框、说明）和设置文件 zoufang.toml
    Init {
        /// 要写入的文件夹
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// 在本机启动网页，不用命令行也能检查名单（双击程序时默认用这个，服务当前文件夹）
    Serve {
        /// 工作文件夹（名单、设置文件、台账和生成的材料都在这里）；默认当前文件夹
        #[arg(value_name = "DIR", default_value = ".")]
        folder: PathBuf,
        /// 端口（默认由系统挑一个空闲的）
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// 不自动打开浏览器
        #[arg(long = "no-browser")]
        no_browser: bool,
        /// 让别的电脑也能连上：监听这个地址（如 0.0.0.0）。默认只有本机能连
        #[arg(long, value_name = "地址")]
        listen: Option<std::net::IpAddr>,
        #[command(flatten)]
        settings: SettingsArgs,
        #[command(flatten)]
        engine: EngineArgs,
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
        /// 只测网页（zoufang serve）部分
        #[arg(long = "only-page", hide = true)]
        only_page: bool,
        /// 只测读扫描件（zoufang scan）部分
        #[arg(long = "only-scan", hide = true)]
        only_scan: bool,
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

/// What `ledger` does.
#[derive(Debug, Subcommand)]
pub enum LedgerAction {
    /// 列出台账里的每一次导入：收到日期、单位、计入/重复/拒收的行数、是否已撤回
    List,
    /// 看一次导入的详情和导入时的全部说明
    Show {
        /// 第几次导入（list 列出的「次」）
        #[arg(value_name = "次数")]
        number: i64,
    },
    /// 撤回一次导入：从今天起的汇总不再计入它，以前某天的汇总照旧；同一个文件可以重新导入
    Withdraw {
        /// 第几次导入（list 列出的「次」）
        #[arg(value_name = "次数")]
        number: i64,
    },
}

/// Flags of `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// 填好的录入表、其他单位的汇总表（.xlsx/.xls/.et/.ods，或放有 .csv 的文件夹），可以给多个；
    /// 给了 --ledger 时可以不给，直接用台账里的数据汇总
    #[arg(value_name = "FILE", required_unless_present = "ledger")]
    pub(crate) files: Vec<PathBuf>,
    /// 台账（SQLite 文件，没有就新建）：交来的表格导入台账，汇总用台账里截至汇总那天收到的全部数据
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,
    /// 用台账汇总时，按台账在这一天的样子汇总（只算这一天及以前收到的表格），可以重出以前某天的报表；
    /// 默认：导入了表格时为收到日期，否则为今天
    #[arg(long = "as-of", value_name = "日期", requires = "ledger")]
    pub(crate) as_of: Option<String>,
    /// 输出文件夹
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// 走访名单：用来判断村还是社区，核对每名干部交回的表格数和没有走访的村（社区）
    #[arg(long, value_name = "ROSTER")]
    pub(crate) roster: Option<PathBuf>,
    /// 每周走访情况的统计期起始日期（如 2017-03-06）
    #[arg(long, value_name = "日期")]
    pub(crate) from: Option<String>,
    /// 每周走访情况的统计期截止日期（如 2017-03-12）
    #[arg(long, value_name = "日期")]
    pub(crate) to: Option<String>,
    /// 统计这一天所在的一周（星期一至星期日），代替 --from 和 --to
    #[arg(long, value_name = "日期", conflicts_with_all = ["from", "to"])]
    pub(crate) week: Option<String>,
    /// 收到这些表格的日期（默认今天）：走访日期不能晚于这一天；没填办结日期的已解决问题算作这一天解决
    #[arg(long, value_name = "日期")]
    pub(crate) received: Option<String>,
    /// 另外写出一份 JSON 数据文件，供其他系统读取
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// 另出结束总结用的数据汇总：每个单位一份、全市一份（结束总结/），含总数、每周走访、问题分类、
    /// 走访的村（社区）和待解决的问题清单
    #[arg(long)]
    pub(crate) closing: bool,
    /// 把走访情况周报、各图表和结束总结的模板收到的数据（JSON）写到这个文件夹，便于用 Typst 修改模板
    #[arg(long = "emit-data", value_name = "DIR")]
    pub(crate) emit_data: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
    /// 不显示进度
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// Flags of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// 扫描件：PDF、TIFF（可多页）、JPEG、PNG，或放有扫描件的文件夹，可以给多个
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// 输出文件夹
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// 走访名单：核对每一页是名单上印的表，按干部统计印了几张、交回几张、哪些没交回
    #[arg(long, value_name = "ROSTER")]
    pub(crate) roster: Option<PathBuf>,
    /// 另外写出一份 JSON 数据文件（每一页是什么、每名干部的统计），供其他系统读取
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// 台账（SQLite 文件，没有就新建）：记下哪些入户调查表的纸质表已交回（同一张表再扫一次不会重复记）
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,
    /// 收到这些纸质表的日期（默认今天），记进台账
    #[arg(long, value_name = "日期", requires = "ledger")]
    pub(crate) received: Option<String>,
    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
}

/// Flags of the commands that print.
#[derive(Debug, Args)]
pub(crate) struct PrintArgs {
    #[command(flatten)]
    pub(crate) roster: RosterArgs,
    /// 输出文件夹
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// 不显示进度
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// 把每个模板收到的数据（JSON）写到这个文件夹，便于用 Typst 修改模板
    #[arg(long = "emit-data", value_name = "DIR")]
    pub(crate) emit_data: Option<PathBuf>,
}

/// Flags shared by every command that reads a roster.
#[derive(Debug, Args)]
pub struct RosterArgs {
    /// 名单工作簿（.xlsx/.xls/.et/.ods），或放有 .csv 表格的文件夹
    #[arg(value_name = "ROSTER")]
    pub(crate) roster: PathBuf,
    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
    #[command(flatten)]
    pub(crate) engine: EngineArgs,
}

/// Flags that override the settings file.
#[derive(Debug, Default, Args)]
pub(crate) struct SettingsArgs {
    /// 设置文件（默认用名单旁边的 zoufang.toml，没有则全用默认值）
    #[arg(long, value_name = "FILE", env = "ZOUFANG_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// 活动年度（附件1中“上一年”各行按此年减一印出）
    #[arg(long, value_name = "YEAR")]
    pub(crate) year: Option<i32>,
    /// 联系卡上印的监督服务热线（不填则不印）
    #[arg(long, value_name = "号码")]
    pub(crate) hotline: Option<String>,
    /// 联系卡二维码改为网址：{编号} 处填干部编号，如 https://example.gov.cn/c/{编号}（不填则为电子名片 vCard）
    #[arg(long = "qr-url", value_name = "网址模板")]
    pub(crate) qr_url: Option<String>,
    /// PDF 标准：a-2b 生成便于长期存档的 PDF/A-2b
    #[arg(long = "pdf-standard", value_name = "标准", value_parser = ["a-2b"])]
    pub(crate) pdf_standard: Option<String>,
}

impl SettingsArgs {
    /// Defaults, then the settings file (given, or next to `near`), then the
    /// flags; `SOURCE_DATE_EPOCH` fixes the document date when the file does not.
    pub(crate) fn settings(&self, near: Option<&Path>) -> Result<Settings, Vec<Fault>> {
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
            && let Some(day) = crate::shared::date::from_unix_seconds(date)
        {
            base.document_date = day;
        }
        let mut settings = match &file {
            Some(path) => Settings::load(path, base)?,
            None => base,
        };
        if let Some(y) = self.year {
            settings.campaign_year = y;
        }
        if let Some(hotline) = &self.hotline {
            settings.hotline = crate::shared::text::clean(hotline);
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
#[derive(Debug, Default, Args)]
pub(crate) struct EngineArgs {
    /// 另外使用的字体文件夹（例如装有仿宋_GB2312、方正小标宋简体的文件夹）
    #[arg(long = "font-path", value_name = "DIR", env = "ZOUFANG_FONT_PATHS")]
    pub(crate) font_path: Vec<PathBuf>,
    /// 使用这个文件夹里的模板（先用 zoufang templates export 导出再修改），不用内置模板
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
}

impl EngineArgs {
    pub(super) fn engine(&self, settings: &Settings) -> Result<Engine, Fault> {
        let dirs: Vec<&Path> = self.font_path.iter().map(PathBuf::as_path).collect();
        Engine::new(&dirs, settings.document_date, self.templates.as_deref())
    }
}
