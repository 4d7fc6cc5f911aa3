//! The command line: one file per subcommand, each turning its arguments
//! into a configuration and calling the stages. Messages are in Chinese, for
//! the office clerks who run it.

mod args;
mod check;
mod dev;
mod init;
mod kits;
mod ledger;
mod preview;
mod scan;
mod summary;
mod templates;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

pub(crate) use args::{Cli, Command};
use args::{EngineArgs, SettingsArgs, TemplatesAction};

use crate::settings::Settings;
use crate::shared::fault::Fault;
use crate::typeset::Engine;

/// Settings and engine for a command, or the exit status after reporting why not.
fn setup(
    settings: &SettingsArgs,
    engine: &EngineArgs,
    near: Option<&Path>,
) -> Result<(Settings, Engine), ExitCode> {
    let settings = settings.settings(near).map_err(|faults| {
        report_faults(&faults);
        ExitCode::from(2)
    })?;
    let engine = engine.engine(&settings).map_err(|p| {
        report_faults(&[p]);
        ExitCode::from(2)
    })?;
    Ok((settings, engine))
}

/// Runs the command line and decides the exit status: 0 when everything was
/// printable (and printed), 1 when the input has faults, 2 when nothing could be read.
pub fn run() -> ExitCode {
    // A double-clicked binary gets no arguments: the web page, for the
    // folder it was started in.
    if std::env::args_os().len() == 1 {
        let code = command(Command::Serve {
            folder: PathBuf::from("."),
            port: 0,
            no_browser: false,
            listen: None,
            settings: SettingsArgs::default(),
            engine: EngineArgs::default(),
        });
        // The page serves until the window is closed: this is reached only
        // when it could not start. Started from Explorer, the window would
        // close at once with the reason in it.
        if cfg!(windows) && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            eprintln!("按回车键关闭这个窗口。");
            let _ = std::io::stdin().read_line(&mut String::new());
        }
        return code;
    }
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
    crate::shared::atomic::sync_written().map_err(|e| {
        eprintln!(
            "文件没能全部存到磁盘上（{e}）：请检查输出文件夹所在的磁盘是否已满或已拔出，然后重新运行。"
        );
        ExitCode::from(1)
    })
}

fn command(command: Command) -> ExitCode {
    match command {
        Command::Check(args) => check::check(&args),
        Command::Kits(args) => kits::print(&args, false),
        Command::Cards(args) => kits::print(&args, true),
        Command::Summary(args) => summary::summary(&args),
        Command::Sample {
            out,
            returns,
            cadres,
        } => dev::sample(&out, returns.as_deref(), cadres),
        Command::Init { dir } => init::init(&dir),
        Command::Scan(args) => scan::scan(&args),
        Command::Ledger { action, ledger } => ledger::ledger(&ledger, &action),
        Command::Serve {
            folder,
            port,
            no_browser,
            listen,
            settings,
            engine,
        } => serve(folder, port, !no_browser, listen, &settings, &engine),
        Command::ReadWithCalamine { files } => dev::read_with_calamine(&files),
        Command::Bench {
            dir,
            cadres,
            summary_cadres,
            report,
            only_page,
            only_scan,
        } => dev::bench(
            &dir,
            &cadres,
            &summary_cadres,
            (only_page, only_scan),
            &report,
        ),
        Command::Templates {
            action: TemplatesAction::Export { dir },
        } => templates::export(&dir),
        Command::Preview {
            roster,
            out,
            returns,
        } => preview::preview(&roster, &out, &returns),
    }
}

/// `serve`: the working folder's settings and the engine, then the server
/// until the process is stopped.
fn serve(
    folder: PathBuf,
    port: u16,
    open_browser: bool,
    listen: Option<std::net::IpAddr>,
    settings: &SettingsArgs,
    engine: &EngineArgs,
) -> ExitCode {
    if !folder.is_dir() {
        eprintln!("找不到工作文件夹 {}，请先建好它。", folder.display());
        return ExitCode::from(2);
    }
    let (settings, engine) = match setup(settings, engine, Some(&folder.join("名单.xlsx"))) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = crate::serve::Options {
        folder,
        listen: listen.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        port,
        open_browser,
    };
    match crate::serve::run(options, settings, engine) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

/// Says every fault on the error stream, one a line; faults that say the
/// same of many rows of a column, once with their count.
fn report_faults(faults: &[Fault]) {
    for group in crate::shared::fault::grouped(faults) {
        eprintln!("{group}");
    }
}
