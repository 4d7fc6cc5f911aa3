//! zoufang (走访): reads a household-visiting campaign's roster and prints its
//! paper kits through an embedded Typst engine; reads the filled-in returns
//! and makes the summaries that go up the reporting chain.
//!
//! One folder per stage; a stage uses the stages above it in this list and
//! the shared pieces, never one below it.
//!
//! ```text
//! shared/          small pieces every stage uses
//!   fault.rs         Fault: what is wrong in a user's file (place, value, what is wrong, what to do)
//!   text.rs          half-width, blank characters, phones, column letters, CSV/GBK decoding
//!   date.rs          dates as clerks write them and as Excel stores them (jiff underneath)
//!   atomic.rs        files written whole or not at all, swept after a crash, synced once
//!   queue.rs         one worker per core, results in order (typesetting, reading sheets)
//!   memory.rs        free memory handed back during long runs
//!   file_name.rs     safe, unique file names from people's names
//!   progress.rs      the progress bar
//!   xlsx.rs          simple workbooks (title, header, rows, dropdowns): init, samples, test fixtures
//! settings.rs      zoufang.toml: campaign title, year, hotline, QR mode, quotas, dates
//! input/           files → sheets
//!   mod.rs           a file or CSV folder read, with size limits
//!   sniff.rs         what a file is by its bytes; password, Word, HTML, XML spreadsheets
//!   zip_guard.rs     the zip-bomb guard
//!   claims.rs        the rule of the grid guards: a sheet's grid in proportion to its cells
//!   biff_guard.rs    the grid guard for .xls/.et (cell and DIMENSIONS records)
//!   ods_scan.rs      one pass over an .ods: its merged cells, and the grid guard (repeats)
//!   workbook.rs      xlsx/xls/et/ods through calamine, merged cells filled
//!   csv.rs           CSV in UTF-8, GBK/GB18030 or UTF-16, within Excel's bounds
//!   cell.rs          cells and sheets, each cell with its place
//!   table.rs         finding a table by its header cells; rows; TableSpec::column
//! schema/          the data contract's tables, shared by every reader and every writer
//!   roster.rs        单位, 村（社区）, 干部: columns, aliases, VillageKind (村/社区)
//!   returns.rs       入户调查, 问题清单, the summary's sheets; ProblemType and Category (their words and order), 状态
//!   blank_roster.rs  the blank roster `init` writes
//! typeset/         the embedded Typst engine
//!   mod.rs           Engine: fonts and templates loaded once; Job and Stamps; template errors worded
//!   templates.rs     the built-in templates
//!   fonts.rs         embedded fonts, font folders, glyphs no font has
//!   world.rs         one document's view: /data.json and its own files
//!   stamps.rs        parts typeset once and placed: household frames, cards, annex-5 frame
//!   pdf.rs           reproducible PDF export; Typst's caches kept small
//! check/           sheets → the checked roster
//!   model.rs         Roster, Department, Village, Cadre (and a cadre's serials)
//!   roster.rs        every roster fault and reminder is worded here
//!   glyphs.rs        names the fonts cannot draw
//! print/           the checked roster → files on disk
//!   plan.rs          what is printed: documents, file names, pages, serials
//!   payload.rs       one serde struct per template's data; what is stamped
//!   qr.rs            the cards' QR codes (vCard or URL)
//!   page_code.rs     the code on every form page: campaign tag, form, serial / village / cadre and sheet
//!   render.rs        typesetting every document in parallel and writing it
//!   entry.rs         the entry workbook each department fills in after the visits
//!   manifest.rs      清单.csv
//! scan/            a scanner's stack → which printed forms came back, filled or blank
//!   source.rs        scanner files → pages still compressed (PDF images, TIFF, JPEG, PNG), within limits
//!   raster.rs        a page's grey pixels (JPEG/PNG, raw and Flate samples, CCITT G4); size limits
//!   identify.rs      the page code found and read, the page placed by its corner marks, ink in the answer cells
//!   mod.rs           pages read on one worker per core; checked against campaign and roster; per-cadre counts
//!   report.rs        交回情况.xlsx and the JSON
//! summary/         filled returns → the figures that go up the chain
//!   returns.rs       rows read into Visit and Problem (a villager's problem), checked, counted or rejected
//!   identity.rs      which records are the same: the rule, its encoding (Key), how two versions compare
//!   resolve.rs       nothing counts twice in a run: the one de-duplication; dates outside the campaign
//!   ledger.rs        the SQLite ledger: imports, record versions, reports as of a day
//!   read.rs          a summary's run: files read on two threads, or imported into the ledger; outputs written
//!   count.rs         annex 5 is counted here (Tally: a problem added to a count); weekly figures; follow-up; phones masked
//!   report.rs        annex-5 PDFs, 汇总表.xlsx, routed problem lists, JSON
//!   brief.rs         走访情况周报: weekly figures, who reported, charts (PDF, and each chart as SVG)
//!   closing.rs       the closing pack (--closing): per department and the city, pending problems
//! serve/           the local web page (zoufang serve): the same stages through HTTP on loopback
//!   guard.rs         token, Host, Origin, upload size, paths inside the working folder
//!   mod.rs           the server, routes (roster check, init, files); page.html embedded
//! cli/             the command line: args.rs (clap types), one file per subcommand
//! dev/             tooling, not product: bench.rs, sample.rs (demo roster and returns, synthetic city)
//! ```

// A `Fault` carries its place and message; it travels the error path only, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod cli;
pub mod dev;
pub mod input;
pub mod print;
pub mod scan;
pub mod schema;
pub mod serve;
pub mod settings;
pub mod shared;
pub mod summary;
pub mod typeset;
