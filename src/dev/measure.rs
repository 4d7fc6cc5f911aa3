//! Measuring a child process: its time and peak memory, and two compared
//! runs made in turns. The benchmark's tool (and the tests' bounded runs).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One measured run of a child process.
#[derive(Debug, Clone)]
pub struct Measured {
    pub seconds: f64,
    pub peak_mb: f64,
    pub(crate) ok: bool,
    /// The exit code; `None` when killed (by a signal or for running too long).
    pub code: Option<i32>,
}

/// Runs a command with its output thrown away, polling its peak resident
/// memory until it exits.
pub(crate) fn measure(program: &Path, args: &[&str]) -> std::io::Result<Measured> {
    measure_command(&mut quiet(program, args), None)
}

/// A command with its output thrown away, run with the machine's own
/// setting for transparent huge pages: zoufang turns them off for itself
/// (see main.rs), and a child would inherit that. The Typst CLI and
/// calamine alone run as they would from a shell; a zoufang child turns
/// them off again.
pub(crate) fn quiet(program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: between fork and exec the child only makes one system
        // call, which allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
                Ok(())
            });
        }
    }
    command
}

/// Runs a prepared command, polling its peak resident memory (`VmHWM`) every
/// 2 ms until it exits; past `limit` it is killed and counts as failed.
/// Not the kernel's `ru_maxrss` from `wait4`: that counts what the child
/// held between fork and exec, which is the parent's memory (a test binary's
/// hundred MB for a run that took twenty).
pub fn measure_command(
    command: &mut Command,
    limit: Option<Duration>,
) -> std::io::Result<Measured> {
    let started = Instant::now();
    let mut child = command.spawn()?;
    let mut peak = 0f64;
    let status = loop {
        if let Some(mb) = peak_of(child.id()) {
            peak = peak.max(mb);
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if limit.is_some_and(|l| started.elapsed() > l) {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ok(Measured {
        seconds: started.elapsed().as_secs_f64(),
        peak_mb: peak,
        ok: status.is_some_and(|s| s.success()),
        code: status.and_then(|s| s.code()),
    })
}

/// A running process's peak resident memory so far (`VmHWM`), in MB.
pub(crate) fn peak_of(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = text
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())?;
    Some(kb as f64 / 1024.0)
}

/// How many times each of two compared runs is made (see `fastest_in_turns`).
pub(crate) const ROUNDS: usize = 3;

/// Runs `a` and `b` in turns, `ROUNDS` times, and keeps the fastest of each:
/// the machine's speed drifts (by a third in an hour here), and a ratio of two
/// single runs made minutes apart would measure the drift.
pub(crate) fn fastest_in_turns(
    mut a: impl FnMut() -> Result<Measured, String>,
    mut b: impl FnMut() -> Result<Measured, String>,
) -> Result<(Measured, Measured), String> {
    let (mut best_a, mut best_b) = (None, None);
    for _ in 0..ROUNDS {
        best_a = faster(best_a, a()?);
        best_b = faster(best_b, b()?);
    }
    best_a.zip(best_b).ok_or_else(|| "没有测到".to_string())
}

/// The fastest of `ROUNDS` runs of `run`, for a time held against a fixed
/// target rather than against another run (the machine's speed drifts).
pub(crate) fn fastest(
    mut run: impl FnMut() -> Result<Measured, String>,
) -> Result<Measured, String> {
    let mut best = None;
    for _ in 0..ROUNDS {
        best = faster(best, run()?);
    }
    best.ok_or_else(|| "没有测到".to_string())
}

fn faster(best: Option<Measured>, m: Measured) -> Option<Measured> {
    match best {
        Some(b) if b.seconds <= m.seconds => Some(b),
        _ => Some(m),
    }
}

/// A path as an argument.
pub(crate) fn path(p: &Path) -> &str {
    p.to_str().unwrap_or("")
}

/// The first `name` on PATH.
pub(crate) fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}
