//! Progress of long runs: a bar on a terminal (files, pages, rate, time left),
//! a plain line every tenth of the way otherwise, nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Reports documents done and pages typeset.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: u64,
    done: AtomicU64,
    pages: AtomicU64,
    what: &'static str,
}

impl Progress {
    /// `total` items (documents, files) are to be done; `what` names them.
    pub(crate) fn new(total: u64, what: &'static str, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:32} {pos}/{len} 个{msg} [{elapsed_precise}，约剩 {eta}] {per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what);
            bar
        });
        Progress {
            bar,
            plain: !quiet && !terminal,
            total,
            done: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            what,
        }
    }

    /// One item done, with its pages.
    pub(crate) fn inc(&self, pages: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let pages = self.pages.fetch_add(pages, Ordering::Relaxed) + pages;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{}，{pages} 页", self.what));
        } else if self.plain && self.total > 0 {
            let step = self.total.div_ceil(10);
            if done.is_multiple_of(step) || done == self.total {
                eprintln!(
                    "已完成 {}%（{done}/{} 个{}，{pages} 页）",
                    done * 100 / self.total,
                    self.total,
                    self.what
                );
            }
        }
    }

    /// Items done, of how many, and pages so far.
    pub(crate) fn position(&self) -> (u64, u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total,
            self.pages.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
