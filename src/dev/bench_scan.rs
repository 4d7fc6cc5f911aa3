//! `zoufang bench`, scanning: a stack of household forms from zoufang's own
//! kits, rendered at 200 dpi in grey and packed as a scanner's JPEG PDF,
//! read by `zoufang scan`; pages per second and peak memory, beside zbarimg
//! decoding the same pages where it is installed (measured in the same run).

use std::fmt::Write as _;
use std::path::Path;

use super::measure::{Measured, fastest, measure, path};
use crate::print::plan::Contents;
use crate::scan::archive::{JpegPage, grey_jpeg, jpeg_pdf};
use crate::settings::Settings;
use crate::typeset::Engine;

/// Pages in the measured stack.
const STACK_PAGES: usize = 400;

/// The scanner's resolution.
const DPI: f64 = 200.0;

/// A scanner's PDF of the first `limit` household-form pages of the
/// roster's kits (200 dpi grey JPEG), as a copier writes one: for tests
/// and benches, made from zoufang's own output.
pub fn scanned_forms(roster: &Path, limit: usize) -> Result<Vec<u8>, String> {
    Ok(jpeg_pdf(&stack(roster, limit)?))
}

/// The household-form pages of the roster's kits, rendered at `DPI` in
/// grey, as JPEG (quality 75), until `limit` are made.
fn stack(roster: &Path, limit: usize) -> Result<Vec<JpegPage>, String> {
    let settings = Settings::default();
    let input = crate::input::read_input(roster);
    let checked = crate::check::roster::build(&input.sheets, &settings, "");
    let (plan, _) = crate::print::plan::plan(&checked.roster, &settings);
    let engine = Engine::new(&[], settings.document_date, None).map_err(|f| f.to_string())?;
    let mut pages = Vec::new();
    for doc in &plan.documents {
        let Contents::Kit { cadre, .. } = doc.contents else {
            continue;
        };
        let quota = checked.roster.cadres[cadre].quota as usize;
        let typeset = engine
            .typeset(&plan.payload(doc, &checked.roster, &settings))
            .map_err(|e| format!("{e:?}"))?;
        let all = typeset.document.pages();
        let forms = &all[all.len().saturating_sub(quota + 1)..all.len().saturating_sub(1)];
        for page in forms {
            let pixmap = typst_render::render(
                page,
                &typst_render::RenderOptions {
                    pixel_per_pt: (DPI / 72.0).into(),
                    render_bleed: false,
                },
            );
            let grey: Vec<u8> = pixmap
                .data()
                .chunks(4)
                .map(|p| {
                    let g = u32::from(crate::scan::raster::luma(p[0], p[1], p[2]));
                    (g + 255 - u32::from(p[3])).min(255) as u8
                })
                .collect();
            let (w, h) = (pixmap.width(), pixmap.height());
            let jpeg = grey_jpeg(&grey, w as usize, h as usize, 75).ok_or("JPEG")?;
            pages.push(JpegPage {
                width: w,
                height: h,
                jpeg,
            });
            if pages.len() == limit {
                return Ok(pages);
            }
        }
    }
    Ok(pages)
}

/// The scanning section of the report.
pub(crate) fn scan_section(exe: &Path, dir: &Path, report: &mut String) -> Result<(), String> {
    let roster = dir.join("scan-roster.xlsx");
    crate::dev::sample::write_city_roster(&roster, 20).map_err(|e| e.to_string())?;
    let pages = stack(&roster, STACK_PAGES)?;
    let pdf = dir.join("scan-stack.pdf");
    std::fs::write(&pdf, jpeg_pdf(&pages)).map_err(|e| e.to_string())?;
    let out = dir.join("scan-out");
    let scan = fastest(|| {
        let _ = std::fs::remove_dir_all(&out);
        measure(
            exe,
            &[
                "scan",
                path(&pdf),
                "-o",
                path(&out),
                "--roster",
                path(&roster),
            ],
        )
        .map_err(|e| e.to_string())
    })?;
    let n = pages.len() as f64;
    eprintln!(
        "scan {n} 页：{:.1} 秒，{:.0} MB",
        scan.seconds, scan.peak_mb
    );
    let _ = writeln!(report, "\n## scan（读扫描件）\n");
    let _ = writeln!(
        report,
        "{} 页 200 dpi 灰度 JPEG 的入户调查表（一个 PDF，{:.1} MB），`zoufang scan --roster`（认出每一页、看填没填、归档、写交回情况和录入表）。\n",
        pages.len(),
        std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0
    );
    let _ = writeln!(report, "| 读法 | 用时（秒） | 页/秒 | 峰值内存（MB） |");
    let _ = writeln!(report, "| --- | ---: | ---: | ---: |");
    let row = |report: &mut String, label: &str, m: &Measured, n: f64| {
        let _ = writeln!(
            report,
            "| {label} | {:.1} | {:.1} | {:.0} |",
            m.seconds,
            n / m.seconds.max(0.001),
            m.peak_mb
        );
    };
    row(report, "zoufang scan", &scan, n);
    // The same pages five times over, in one PDF five times the size: the
    // peak must not grow with the file (pages are read one at a time).
    let big = dir.join("scan-stack-5x.pdf");
    let five: Vec<JpegPage> = (0..5)
        .flat_map(|_| {
            pages.iter().map(|p| JpegPage {
                width: p.width,
                height: p.height,
                jpeg: p.jpeg.clone(),
            })
        })
        .collect();
    std::fs::write(&big, jpeg_pdf(&five)).map_err(|e| e.to_string())?;
    drop(five);
    let _ = std::fs::remove_dir_all(&out);
    let scan5 = measure(
        exe,
        &[
            "scan",
            path(&big),
            "-o",
            path(&out),
            "--roster",
            path(&roster),
        ],
    )
    .map_err(|e| e.to_string())?;
    eprintln!(
        "scan {} 页：{:.1} 秒，{:.0} MB",
        5.0 * n,
        scan5.seconds,
        scan5.peak_mb
    );
    row(
        report,
        &format!(
            "zoufang scan，同样的页 5 遍（{} 页，一个 {:.0} MB 的 PDF）",
            5 * pages.len(),
            std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0
        ),
        &scan5,
        5.0 * n,
    );
    match super::measure::which("zbarimg") {
        Some(zbar) => {
            // The same pages as JPEG files: zbarimg does not read PDFs.
            let jpegs = dir.join("scan-jpeg");
            std::fs::create_dir_all(&jpegs).map_err(|e| e.to_string())?;
            let mut files = Vec::new();
            for (i, p) in pages.iter().enumerate() {
                let f = jpegs.join(format!("{i:04}.jpg"));
                std::fs::write(&f, &p.jpeg).map_err(|e| e.to_string())?;
                files.push(f);
            }
            let mut args: Vec<&str> = vec!["-q"];
            args.extend(files.iter().map(|f| path(f)));
            let zbar = fastest(|| measure(&zbar, &args).map_err(|e| e.to_string()))?;
            row(
                report,
                "zbarimg（只解码二维码，同样的页存成 JPEG）",
                &zbar,
                n,
            );
        }
        None => {
            let _ = writeln!(report, "\n本机没有 zbarimg，没有对照。");
        }
    }
    let _ = writeln!(
        report,
        "\n目标：每秒至少 20 页（双核），任何大小的一叠峰值内存不超过 300 MB。"
    );
    Ok(())
}
