//! `zoufang scan` on a stack made from zoufang's own kits: pages typeset,
//! rendered to pixels, degraded as scanners and phones degrade them
//! (150–300 dpi, grey and 1-bit, turned 180°, skewed, JPEG at low quality,
//! speckle, handwriting in some forms), mixed with blank backs, card pages
//! and another campaign's forms, and packed as scanner PDFs (JPEG, G4),
//! a multi-page TIFF and PNG files.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use zoufang::settings::Settings;
use zoufang::typeset::{Engine, Template};

/// A grey page: 0 black, 255 white.
#[derive(Clone)]
struct Page {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Page {
    fn get(&self, x: f64, y: f64) -> u8 {
        if x < 0.0 || y < 0.0 || x >= self.w as f64 || y >= self.h as f64 {
            return 255;
        }
        self.px[y as usize * self.w + x as usize]
    }

    /// Turned by `degrees` about its centre (bilinear would blur; nearest
    /// is what a cheap scanner's deskew gives).
    fn rotated(&self, degrees: f64) -> Page {
        let (s, c) = degrees.to_radians().sin_cos();
        let (cx, cy) = (self.w as f64 / 2.0, self.h as f64 / 2.0);
        let mut px = Vec::with_capacity(self.px.len());
        for y in 0..self.h {
            for x in 0..self.w {
                let (dx, dy) = (x as f64 - cx, y as f64 - cy);
                px.push(self.get(cx + c * dx + s * dy, cy - s * dx + c * dy));
            }
        }
        Page { px, ..*self }
    }

    /// Turned a quarter anticlockwise: a page laid sideways on the glass,
    /// or a photo taken with the phone held sideways (no EXIF turn).
    fn sideways(&self) -> Page {
        let (w, h) = (self.h, self.w);
        let px = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| self.px[x * self.w + (self.w - 1 - y)])
            .collect();
        Page { w, h, px }
    }

    fn turned_round(&self) -> Page {
        let mut px = self.px.clone();
        px.reverse();
        Page { px, ..*self }
    }

    /// Every pixel black or white, as a scanner in black-and-white mode.
    fn one_bit(&self) -> Page {
        Page {
            px: self
                .px
                .iter()
                .map(|&p| if p < 140 { 0 } else { 255 })
                .collect(),
            ..*self
        }
    }

    /// Dust on the glass: one pixel in `every` flipped dark, at fixed places.
    fn speckled(&self, every: usize) -> Page {
        let mut px = self.px.clone();
        let mut seed = 12345u64;
        for _ in 0..px.len() / every {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % px.len();
            px[i] = 30;
        }
        Page { px, ..*self }
    }

    /// A soft scan, as a copier's optics give at 150-200 dpi: each pixel the
    /// mean of the nine around it.
    fn blurred(&self) -> Page {
        let mut px = self.px.clone();
        for y in 1..self.h - 1 {
            for x in 1..self.w - 1 {
                let mut sum = 0u32;
                for dy in 0..3 {
                    for dx in 0..3 {
                        sum += u32::from(self.px[(y + dy - 1) * self.w + x + dx - 1]);
                    }
                }
                px[y * self.w + x] = (sum / 9) as u8;
            }
        }
        Page { px, ..*self }
    }

    /// On tinted paper: everything a fifth darker.
    fn tinted(&self) -> Page {
        Page {
            px: self
                .px
                .iter()
                .map(|&p| (u16::from(p) * 4 / 5) as u8)
                .collect(),
            ..*self
        }
    }

    /// Black and white by error diffusion (Floyd–Steinberg), as a scanner's
    /// black-and-white "photo" mode and most image tools' 1-bit conversion
    /// make it: grey edges become dots.
    fn dithered(&self) -> Page {
        let mut error: Vec<f64> = self.px.iter().map(|&p| f64::from(p)).collect();
        let mut px = vec![0u8; self.px.len()];
        for y in 0..self.h {
            for x in 0..self.w {
                let i = y * self.w + x;
                let out = if error[i] < 128.0 { 0.0 } else { 255.0 };
                px[i] = out as u8;
                let e = error[i] - out;
                let mut spread = |dx: isize, dy: usize, share: f64| {
                    let nx = x as isize + dx;
                    if nx >= 0 && (nx as usize) < self.w && y + dy < self.h {
                        error[(y + dy) * self.w + nx as usize] += e * share;
                    }
                };
                spread(1, 0, 7.0 / 16.0);
                spread(-1, 1, 3.0 / 16.0);
                spread(0, 1, 5.0 / 16.0);
                spread(1, 1, 1.0 / 16.0);
            }
        }
        Page { px, ..*self }
    }

    /// Handwriting: a few pen strokes in the 家庭住址 and 家庭收入 cells.
    fn scribbled(&self, dpi: f64) -> Page {
        self.written(dpi, 3)
    }

    /// Handwriting with a pen `pen` pixels wide (1 at 150 dpi is a fine
    /// ballpoint's 0.17 mm).
    fn written(&self, dpi: f64, pen: usize) -> Page {
        let mm = dpi / 25.4;
        let mut px = self.px.clone();
        let mut stroke = |x0: f64, y0: f64, x1: f64, y1: f64| {
            let steps = 400;
            for i in 0..=steps {
                let t = i as f64 / steps as f64;
                let (x, y) = ((x0 + (x1 - x0) * t) * mm, (y0 + (y1 - y0) * t) * mm);
                for dy in 0..pen {
                    for dx in 0..pen {
                        let (x, y) = (x as usize + dx, y as usize + dy);
                        if x < self.w && y < self.h {
                            px[y * self.w + x] = 40;
                        }
                    }
                }
            }
        };
        for k in 0..6 {
            let x = 60.0 + 9.0 * k as f64;
            stroke(x, 58.0, x + 6.0, 64.0);
            stroke(x + 6.0, 58.0, x, 64.0);
            stroke(x, 75.0, x + 7.0, 80.0);
        }
        Page { px, ..*self }
    }

    fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                &self.px,
                self.w as u32,
                self.h as u32,
                image::ExtendedColorType::L8,
            )
            .unwrap();
        out
    }

    fn jpeg(&self, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .write_image(
                &self.px,
                self.w as u32,
                self.h as u32,
                image::ExtendedColorType::L8,
            )
            .unwrap();
        out
    }

    /// CCITT group 4, black is 0 (the PDF default).
    fn g4(&self) -> Vec<u8> {
        let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
        for row in self.px.chunks(self.w) {
            encoder
                .encode_line(
                    row.iter().map(|&p| {
                        if p < 128 {
                            fax::Color::Black
                        } else {
                            fax::Color::White
                        }
                    }),
                    self.w as u16,
                )
                .unwrap();
        }
        encoder.finish().unwrap().finish()
    }
}

use image::ImageEncoder;

/// Renders typeset pages at `dpi`, grey on white.
fn render(pages: &[typst_layout::Page], dpi: f64) -> Vec<Page> {
    pages
        .iter()
        .map(|page| {
            let pixmap = typst_render::render(
                page,
                &typst_render::RenderOptions {
                    pixel_per_pt: (dpi / 72.0).into(),
                    render_bleed: false,
                },
            );
            let px = pixmap
                .data()
                .chunks(4)
                .map(|p| {
                    // Premultiplied RGBA over white paper.
                    let grey =
                        (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114)
                            / 1000;
                    (grey + 255 - u32::from(p[3])).min(255) as u8
                })
                .collect();
            Page {
                w: pixmap.width() as usize,
                h: pixmap.height() as usize,
                px,
            }
        })
        .collect()
}

/// Every document of the roster's plan made with `template`, typeset.
fn typeset_all(
    roster: &Path,
    settings: &Settings,
    template: Template,
) -> Vec<Vec<typst_layout::Page>> {
    let input = zoufang::input::read_input(roster);
    let checked = zoufang::check::roster::build(&input.sheets, settings, "名单.xlsx");
    let (plan, _) = zoufang::print::plan::plan(&checked.roster, settings);
    let engine = Engine::new(&[], settings.document_date, None).unwrap();
    plan.documents
        .iter()
        .filter(|d| d.template() == template)
        .map(|doc| {
            engine
                .typeset(&plan.payload(doc, &checked.roster, settings))
                .unwrap()
                .document
                .pages()
                .to_vec()
        })
        .collect()
}

/// How a page image is stored in a PDF.
enum Stored {
    Jpeg(Vec<u8>),
    G4(Vec<u8>),
    /// JBIG2 as a copier's "high compression" writes it, here one generic
    /// region coded MMR (the G4 bytes, black 1).
    Jbig2(Vec<u8>),
}

/// A PDF as a scanner writes it: each page one image filling an A4 page.
fn scanner_pdf(pages: &[(Page, Stored)]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let n = pages.len();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", offsets.len()).unwrap();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    // 1 catalog, 2 pages, then page i: 3+3i page, 4+3i image, 5+3i content.
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + 3 * i)).collect();
    object(
        &mut out,
        format!("<< /Type /Pages /Count {n} /Kids [{}] >>", kids.join(" ")).as_bytes(),
    );
    for (i, (page, stored)) in pages.iter().enumerate() {
        let (img, content) = (4 + 3 * i, 5 + 3 * i);
        object(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im{i} {img} 0 R >> >> /Contents {content} 0 R >>"
            )
            .as_bytes(),
        );
        let (filter, data, extra) = match stored {
            Stored::Jpeg(d) => (
                "DCTDecode",
                d,
                "/ColorSpace /DeviceGray /BitsPerComponent 8".to_string(),
            ),
            Stored::Jbig2(d) => (
                "JBIG2Decode",
                d,
                "/ColorSpace /DeviceGray /BitsPerComponent 1".to_string(),
            ),
            Stored::G4(d) => (
                "CCITTFaxDecode",
                d,
                format!(
                    "/ColorSpace /DeviceGray /BitsPerComponent 1 /DecodeParms << /K -1 /Columns {} /Rows {} >>",
                    page.w, page.h
                ),
            ),
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} {extra} /Filter /{filter} /Length {} >>\nstream\n",
            page.w,
            page.h,
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        object(&mut out, &body);
        let draw = format!("q 595 0 0 842 0 0 cm /Im{i} Do Q");
        object(
            &mut out,
            format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()).as_bytes(),
        );
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).unwrap();
    for o in &offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    )
    .unwrap();
    out
}

/// An embedded JBIG2 stream (T.88 annex D.3): the page information, and
/// one immediate lossless generic region of the whole page coded MMR.
fn jbig2_page(width: u32, height: u32, mmr: &[u8]) -> Vec<u8> {
    let segment = |number: u32, kind: u8, data: &[u8]| {
        let mut out = number.to_be_bytes().to_vec();
        out.extend_from_slice(&[kind, 0, 1]);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
        out
    };
    let size = [width.to_be_bytes(), height.to_be_bytes()].concat();
    let page = [size.as_slice(), &[0; 8], &[0, 0, 0]].concat();
    let region = [size.as_slice(), &[0; 8], &[0, 1], mmr].concat();
    [segment(0, 48, &page), segment(1, 39, &region)].concat()
}

/// A multi-page grey TIFF.
fn tiff(pages: &[Page]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut encoder = tiff::encoder::TiffEncoder::new(&mut out).unwrap();
    for p in pages {
        encoder
            .write_image::<tiff::encoder::colortype::Gray8>(p.w as u32, p.h as u32, &p.px)
            .unwrap();
    }
    out.into_inner()
}

fn blank(like: &Page) -> Page {
    Page {
        px: vec![250; like.px.len()],
        ..*like
    }
}

#[test]
fn a_degraded_stack_says_which_forms_came_back_filled_blank_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[
            ("张卫国", "13800138001", 4.0),
            ("李秀英", "13800138002", 3.0),
        ],
    );
    let settings = Settings::default();
    let kits = typeset_all(&roster, &settings, Template::Kit);
    assert_eq!(kits.len(), 2);
    // A kit: card sheets, then its household forms, then the problem list.
    let forms = |kit: usize, quota: usize| {
        let pages = &kits[kit];
        let first = pages.len() - quota - 1;
        pages[first..].to_vec()
    };
    let (a, b) = (forms(0, 4), forms(1, 3));
    let village = typeset_all(&roster, &settings, Template::Village).remove(0);
    let other_campaign = typeset_all(
        &roster,
        &Settings {
            campaign_year: settings.campaign_year + 1,
            ..Settings::default()
        },
        Template::Kit,
    )
    .remove(0);

    let at200 = render(&a, 200.0);
    let at150 = render(&b, 150.0);
    let at300 = render(&[village[0].clone(), b[3].clone()], 300.0);
    let card = render(&kits[0][..1], 200.0).remove(0);
    let stranger = render(
        &other_campaign[other_campaign.len() - 2..other_campaign.len() - 1],
        200.0,
    )
    .remove(0);

    // Scanner 1: a JPEG PDF at 200 dpi, quality 40: ZF0001-01 filled and
    // skewed, -02 blank turned round, -03 filled with speckle, a blank back,
    // the problem list, a card's front (no code), another campaign's form.
    let pdf1 = scanner_pdf(
        &[
            (
                at200[0].scribbled(200.0).rotated(3.0),
                Stored::Jpeg(Vec::new()),
            ),
            (at200[1].turned_round(), Stored::Jpeg(Vec::new())),
            (
                at200[2].scribbled(200.0).speckled(200),
                Stored::Jpeg(Vec::new()),
            ),
            (blank(&at200[0]), Stored::Jpeg(Vec::new())),
            (at200[4].rotated(-2.0), Stored::Jpeg(Vec::new())),
            (card.clone(), Stored::Jpeg(Vec::new())),
            (stranger.clone(), Stored::Jpeg(Vec::new())),
        ]
        .map(|(p, _)| {
            let jpeg = p.jpeg(40);
            (p, Stored::Jpeg(jpeg))
        }),
    );
    std::fs::write(dir.path().join("扫描1.pdf"), pdf1).unwrap();
    // Scanner 2: black and white, 200 dpi in G4: ZF0001-03 again (a second
    // scan of the same paper), and the village's form at 300 dpi turned
    // round in JBIG2.
    let g4_pages: Vec<(Page, Stored)> = [
        at200[2].scribbled(200.0).one_bit(),
        at300[0].one_bit().turned_round(),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, p)| {
        let g4 = p.g4();
        let stored = match i {
            0 => Stored::G4(g4),
            _ => Stored::Jbig2(jbig2_page(p.w as u32, p.h as u32, &g4)),
        };
        (p, stored)
    })
    .collect();
    std::fs::write(dir.path().join("扫描2.pdf"), scanner_pdf(&g4_pages)).unwrap();
    // A multi-page TIFF at 150 dpi: ZF0002-01 filled, -02 blank skewed,
    // and -02 again skewed 4°, which at 150 dpi may not be read (a module
    // is 3 pixels) but must never be taken for another form.
    std::fs::write(
        dir.path().join("扫描3.tif"),
        tiff(&[
            at150[0].scribbled(150.0),
            at150[1].rotated(-1.5),
            at150[1].rotated(-4.0),
        ]),
    )
    .unwrap();
    // A phone photo saved as PNG, taken sideways: the problem list of
    // ZF0002 at 300 dpi.
    std::fs::write(dir.path().join("照片.png"), at300[1].sideways().png()).unwrap();
    // A file that is not a scan.
    std::fs::write(dir.path().join("说明.pdf"), b"not a pdf at all").unwrap();

    let out = dir.path().join("交回");
    let json = dir.path().join("scan.json");
    let files: Vec<String> = [
        "扫描1.pdf",
        "扫描2.pdf",
        "扫描3.tif",
        "照片.png",
        "说明.pdf",
    ]
    .iter()
    .map(|f| dir.path().join(f).display().to_string())
    .collect();
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(files.iter().map(String::as_str));
    args.extend([
        "-o",
        out.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let run = zoufang(&args);
    // Unreadable pages (the card, the other campaign, the broken file) make it exit 1.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let pages = data["pages"].as_array().unwrap();
    let mut seen: Vec<String> = pages
        .iter()
        .map(|p| {
            let file = Path::new(p["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let what = match p["form"].as_str() {
                Some("附件3") => format!(
                    "{} {}",
                    p["serial"].as_str().unwrap(),
                    if p["filled"] == true {
                        "已填"
                    } else {
                        "空白"
                    }
                ),
                Some("附件4") => {
                    format!("附件4 {} 第{}张", p["cadre"].as_str().unwrap(), p["sheet"])
                }
                Some("附件1") => format!("附件1 {}", p["village"].as_str().unwrap()),
                _ if p["blank"] == true => "空白页".into(),
                _ => format!("认不出：{}", p["unreadable"].as_str().unwrap()),
            };
            format!("{file} {} {what}", p["page"])
        })
        .collect();
    let skewed = seen
        .iter()
        .position(|s| s.starts_with("扫描3.tif 3 "))
        .unwrap_or_else(|| panic!("page 3 of the TIFF: {seen:#?}"));
    let skewed = seen.remove(skewed);
    assert!(
        skewed == "扫描3.tif 3 ZF0002-02 空白" || skewed.contains("认不出：表上方的二维码读不出来"),
        "{skewed}"
    );
    assert_eq!(
        seen,
        [
            "扫描1.pdf 1 ZF0001-01 已填",
            "扫描1.pdf 2 ZF0001-02 空白",
            "扫描1.pdf 3 ZF0001-03 已填",
            "扫描1.pdf 4 空白页",
            "扫描1.pdf 5 附件4 ZF0001 第1张",
            "扫描1.pdf 6 认不出：找不到表上方的二维码（不是本程序印的表，或二维码被遮住、撕掉）",
            "扫描1.pdf 7 认不出：这是另一次活动印的表（活动名称或年度与这次不同），没有计入",
            "扫描2.pdf 1 ZF0001-03 已填",
            "扫描2.pdf 2 附件1 武进区横山桥镇东城湾村",
            "扫描3.tif 1 ZF0002-01 已填",
            "扫描3.tif 2 ZF0002-02 空白",
            "照片.png 1 附件4 ZF0002 第1张",
            "说明.pdf null 认不出：不是扫描件：只认得 PDF、TIFF、JPEG、PNG 文件（扫描仪和手机拍照存成的格式）",
        ],
        "{}",
        run.stderr
    );
    // A page turned round is said to be so (and filed upright).
    assert_eq!(pages[1]["upside_down"], true);
    assert_eq!(pages[0]["upside_down"], false);

    // Per cadre: printed, filled, blank, missing with serials.
    let cadres: Vec<String> = data["cadres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} 印{} 已填{} 空白{} 未交{:?} 问题清单{}",
                c["cadre"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
                c["printed"],
                c["filled"],
                c["blank"],
                c["missing"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect::<Vec<_>>(),
                c["problem_sheets"]
            )
        })
        .collect();
    assert_eq!(
        cadres,
        [
            "张卫国 ZF0001 印4 已填2 空白1 未交[\"ZF0001-04\"] 问题清单1",
            "李秀英 ZF0002 印3 已填1 空白1 未交[\"ZF0002-03\"] 问题清单1",
        ]
    );
    // The paper scanned twice is counted once, and said.
    assert_eq!(data["repeated"][0]["serial"], "ZF0001-03");
    assert_eq!(data["repeated"][0]["scans"].as_array().unwrap().len(), 2);
    assert!(
        run.stderr
            .contains("【重复】编号 ZF0001-03 扫了 2 次（只算一次）"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("入户调查表交回 5 张：已填 3 张，空白 2 张。"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("按名单还有 2 张没有交回"),
        "{}",
        run.stdout
    );

    // The pages filed per village, annex 1 first, then the forms by serial,
    // then the problem lists, all upright: scanned again, they read in order.
    let filed = out
        .join("归档")
        .join("市民政局")
        .join("武进区横山桥镇东城湾村.pdf");
    let again = dir.path().join("again.json");
    let rerun = zoufang(&[
        "scan",
        filed.to_str().unwrap(),
        "-o",
        dir.path().join("再扫").to_str().unwrap(),
        "--json",
        again.to_str().unwrap(),
    ]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    let again: serde_json::Value = serde_json::from_slice(&std::fs::read(&again).unwrap()).unwrap();
    let order: Vec<String> = again["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["serial"]
                .as_str()
                .or(p["cadre"].as_str())
                .or(p["village"].as_str())
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        order,
        [
            "武进区横山桥镇东城湾村",
            "ZF0001-01",
            "ZF0001-02",
            "ZF0001-03",
            "ZF0002-01",
            "ZF0002-02",
            "ZF0001",
            "ZF0002"
        ]
    );
    assert!(
        again["pages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["upside_down"] == false),
        "{again}"
    );
    // The pages it could not read, in a PDF of their own (the broken file has none).
    let unreadable = lopdf::Document::load(out.join("认不出的页.pdf")).unwrap();
    assert!(
        (2..=3).contains(&unreadable.get_pages().len()),
        "{}",
        unreadable.get_pages().len()
    );
    assert!(!out.join(".扫描页.spool").exists());

    // The department's entry workbook: the returned forms first, in the
    // stack's order, marked; then the others as printed.
    let entry = zoufang::input::read_input(&out.join("录入表").join("录入表_市民政局.xlsx"));
    let households = entry.sheets.iter().find(|s| s.name == "入户调查").unwrap();
    let mark = households.rows[0]
        .iter()
        .position(|c| c.display() == "纸质表已交回")
        .expect("the column");
    let marked: Vec<String> = households
        .rows
        .iter()
        .map(|r| {
            let cell = r.get(mark).map(|c| c.display()).unwrap_or_default();
            format!("{} {cell}", r[0].display())
        })
        .collect();
    assert_eq!(
        marked,
        [
            "编号 纸质表已交回",
            "ZF0001-01 是",
            "ZF0001-02 是",
            "ZF0001-03 是",
            "ZF0002-01 是",
            "ZF0002-02 是",
            "ZF0001-04 ",
            "ZF0002-03 "
        ]
    );

    // The workbook says the same.
    let book = zoufang::input::read_input(&out.join("交回情况.xlsx"));
    let sheet = book
        .sheets
        .iter()
        .find(|s| s.name == "交回情况")
        .expect("交回情况 sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.display()).collect())
        .collect();
    assert!(
        rows.iter().any(|r| r.starts_with(&[
            "市民政局".into(),
            "张卫国".into(),
            "ZF0001".into(),
            "4".into(),
            "2".into(),
            "1".into(),
            "1".into(),
            "1".into(),
            "ZF0001-04".into()
        ])),
        "{rows:?}"
    );
}

#[test]
fn the_ledger_notes_each_paper_form_once() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("张卫国", "13800138001", 3.0)]);
    let settings = Settings::default();
    let kit = typeset_all(&roster, &settings, Template::Kit).remove(0);
    let forms = render(&kit[kit.len() - 4..kit.len() - 1], 200.0);
    let stack = |pages: &[Page]| {
        scanner_pdf(
            &pages
                .iter()
                .map(|p| (p.clone(), Stored::Jpeg(p.jpeg(60))))
                .collect::<Vec<_>>(),
        )
    };
    let first = dir.path().join("第一叠.pdf");
    std::fs::write(&first, stack(&[forms[0].clone(), forms[1].clone()])).unwrap();
    let second = dir.path().join("第二叠.pdf");
    std::fs::write(
        &second,
        stack(&[forms[1].scribbled(200.0), forms[2].clone()]),
    )
    .unwrap();
    let ledger = dir.path().join("台账.sqlite");
    let scan = |file: &Path, day: &str| {
        zoufang(&[
            "scan",
            file.to_str().unwrap(),
            "-o",
            dir.path().join("out").to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--received",
            day,
        ])
    };
    let run = scan(&first, "2017-03-20");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("新记下 2 张交回的入户调查表（收到日期 2017-03-20），0 张"),
        "{}",
        run.stdout
    );
    // The same stack again changes nothing.
    let run = scan(&first, "2017-03-21");
    assert!(
        run.stdout
            .contains("新记下 0 张交回的入户调查表（收到日期 2017-03-21），0 张"),
        "{}",
        run.stdout
    );
    // The next stack: one new form, one seen blank and now filled.
    let run = scan(&second, "2017-03-27");
    assert!(
        run.stdout
            .contains("新记下 1 张交回的入户调查表（收到日期 2017-03-27），1 张以前记为空白"),
        "{}",
        run.stdout
    );
    let ledger = zoufang::summary::ledger::Ledger::open(&ledger).unwrap();
    let day = |d: i8| jiff::civil::date(2017, 3, d);
    assert_eq!(
        ledger.paper_as_of(day(26)).unwrap(),
        [
            ("ZF0001-01".to_string(), false),
            ("ZF0001-02".to_string(), true)
        ]
    );
    assert_eq!(ledger.paper_as_of(day(27)).unwrap().len(), 3);
    drop(ledger);
    // The weekly report shows the forms back on paper per department,
    // beside the typed figures: in the JSON, the workbook and the brief.
    let ledger = dir.path().join("台账.sqlite");
    let week = |day: &str| {
        summary_json(
            dir.path(),
            &[
                "--ledger",
                ledger.to_str().unwrap(),
                "--roster",
                roster.to_str().unwrap(),
                "--week",
                day,
            ],
        )
    };
    let report = week("2017-03-22");
    assert_eq!(
        report["paper"],
        serde_json::json!([{"department": "市民政局", "printed": 3, "returned": 3, "filled": 1}])
    );
    let brief = dir
        .path()
        .join("cli/走访情况周报_2017-03-20至2017-03-26.pdf");
    assert!(
        pdf_words(&brief).contains("市民政局 0 / 3 户 0% 纸质表交回 3 张"),
        "{}",
        pdf_words(&brief)
    );
    // The week before counts the forms that came in its reporting window
    // (received by the Wednesday after it): the first stack, 03-20.
    let before = week("2017-03-15");
    assert_eq!(before["paper"][0]["returned"], 2, "{}", before["paper"]);
    let book = zoufang::input::read_input(&dir.path().join("cli/汇总表.xlsx"));
    let paper = book
        .sheets
        .iter()
        .find(|s| s.name == "纸质表交回")
        .expect("the sheet of forms back on paper");
    assert_eq!(paper.rows.len(), 2, "{:?}", paper.rows);
    // A received day before the campaign is refused before anything is read.
    let run = scan(&second, "2016-12-01");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("没有读扫描件"), "{}", run.stderr);
}

#[test]
fn a_page_claiming_a_giant_image_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let page = Page {
        w: 100_000,
        h: 100_000,
        px: Vec::new(),
    };
    let pdf = scanner_pdf(&[(page, Stored::Jpeg(vec![0xFF, 0xD8, 0xFF, 0xD9]))]);
    let path = dir.path().join("坏.pdf");
    std::fs::write(&path, pdf).unwrap();
    let json = dir.path().join("scan.json");
    let (run, measured) = zoufang_bounded(
        &[
            "scan",
            path.to_str().unwrap(),
            "-o",
            dir.path().join("out").to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("页面图像自称有 100000 × 100000 个像素"),
        "{}",
        run.stderr
    );
    assert!(measured.peak_mb < 200.0, "peak {} MB", measured.peak_mb);
}

/// The page's 扫描件 step until its reading is done (bounded).
fn scan_done(server: &zoufang::dev::served::Served) -> serde_json::Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let status = server.request("GET", "/api/scan", b"").json();
        if status["state"] != "running" {
            return status;
        }
        assert!(std::time::Instant::now() < until, "the reading never ended");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn the_scan_step_on_the_page_counts_what_the_command_line_counts() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("走访");
    std::fs::create_dir(&folder).unwrap();
    let roster = small_roster(&folder, &[("张卫国", "13800138001", 3.0)]);
    let settings = Settings::default();
    let kit = typeset_all(&roster, &settings, Template::Kit).remove(0);
    let forms = render(&kit[kit.len() - 4..kit.len() - 1], 200.0);
    let card = render(&kit[..1], 200.0).remove(0);
    // ZF0001-01 filled, -02 blank and turned round, a blank back, a card
    // front (no code: unreadable), -01 again.
    let pages = [
        forms[0].scribbled(200.0),
        forms[1].turned_round(),
        blank(&forms[0]),
        card,
        forms[0].scribbled(200.0).rotated(1.0),
    ];
    let pdf = scanner_pdf(
        &pages
            .iter()
            .map(|p| (p.clone(), Stored::Jpeg(p.jpeg(60))))
            .collect::<Vec<_>>(),
    );
    let server = start(&folder);
    let add = |name: &str, bytes: &[u8]| {
        server.request(
            "POST",
            &format!("/api/scan/file?name={}", encode(name)),
            bytes,
        )
    };
    let answer = add("叠1.pdf", &pdf);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(
        answer.text().contains("已放进「扫描件/叠1.pdf」"),
        "{}",
        answer.text()
    );
    // The same file again is kept once.
    let again = add("叠1.pdf", &pdf);
    assert!(again.text().contains("已经放进来过了"), "{}", again.text());
    // The roster dropped here, or a scan dropped on 名单 or 回收: said, not kept.
    let on_scans = add("名单副本.xlsx", &std::fs::read(&roster).unwrap());
    assert_eq!(on_scans.status, 409, "{}", on_scans.text());
    assert!(
        on_scans
            .text()
            .contains("是走访名单，不是扫描件：请拖到「一、名单」"),
        "{}",
        on_scans.text()
    );
    for route in ["/api/roster", "/api/returns"] {
        let wrong = server.request("POST", &format!("{route}?name={}", encode("叠1.pdf")), &pdf);
        assert_eq!(wrong.status, 409, "{}", wrong.text());
        assert!(
            wrong.text().contains("是扫描件（PDF 或图片）")
                && wrong.text().contains("「三、扫描件」"),
            "{}",
            wrong.text()
        );
    }
    let not_a_scan = add("说明.pdf", b"not a pdf at all");
    assert_eq!(not_a_scan.status, 415, "{}", not_a_scan.text());
    let kept: Vec<String> = std::fs::read_dir(folder.join("扫描件"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, ["叠1.pdf"]);

    // A received day after today is refused before anything is read.
    let refused = server.request("POST", "/api/scan?received=2999-01-01", b"");
    assert_eq!(refused.status, 400, "{}", refused.text());
    let started = server.request("POST", "/api/scan?received=2017-03-20", b"");
    assert_eq!(started.status, 200, "{}", started.text());
    let status = scan_done(&server);
    assert_eq!(status["state"], "done", "{status}");
    let found = &status["found"];
    // The command line on the same file and roster.
    let json = dir.path().join("cli.json");
    let run = zoufang(&[
        "scan",
        folder.join("扫描件/叠1.pdf").to_str().unwrap(),
        "-o",
        dir.path().join("cli").to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "one page is unreadable: {}", run.stderr);
    let cli: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(found["totals"], cli["totals"], "{found}");
    assert_eq!(found["totals"]["pages"], 5);
    assert_eq!(found["totals"]["household_forms"], 2);
    assert_eq!(found["totals"]["filled"], 1);
    assert_eq!(found["totals"]["unreadable"], 1);
    let dept = &found["departments"][0];
    assert_eq!(dept["department"], "市民政局");
    assert_eq!(
        [
            &dept["printed"],
            &dept["filled"],
            &dept["blank"],
            &dept["missing"]
        ],
        [3, 1, 1, 1]
    );
    assert_eq!(dept["cadres"][0]["missing"][0], "ZF0001-03");
    assert_eq!(found["repeated"][0]["serial"], "ZF0001-01");
    assert_eq!(found["recorded_new"], 2);
    // The unreadable page is shown as its image.
    let image = found["unreadable"][0]["image"].as_str().unwrap();
    let shown = server.request("GET", &format!("/files/{}", encode(image)), b"");
    assert_eq!(shown.status, 200);
    assert_eq!(&shown.body[..3], &[0xFF, 0xD8, 0xFF]);
    assert!(
        found["unreadable"][0]["place"]
            .as_str()
            .unwrap()
            .contains("第 4 页")
    );
    let downloads = found["downloads"].to_string();
    for file in [
        "扫描结果/交回情况.xlsx",
        "扫描结果/录入表/录入表_市民政局.xlsx",
        "扫描结果/归档/市民政局/",
    ] {
        assert!(downloads.contains(file), "{file}: {downloads}");
    }
    let ledger = zoufang::summary::ledger::Ledger::open(&folder.join("台账.sqlite")).unwrap();
    assert_eq!(
        ledger
            .paper_as_of(jiff::civil::date(2017, 3, 20))
            .unwrap()
            .len(),
        2
    );
    drop(ledger);
    drop(server);

    // A restarted server shows the same; reading again counts nothing twice.
    let server = start(&folder);
    let status = server.request("GET", "/api/scan", b"").json();
    assert_eq!(status["found"]["totals"], cli["totals"]);
    server.request("POST", "/api/scan?received=2017-03-21", b"");
    let status = scan_done(&server);
    assert_eq!(status["found"]["recorded_new"], 0, "{status}");
    // A file set aside is kept, and read no more.
    let aside = server.request(
        "POST",
        &format!("/api/scan/set-aside?name={}", encode("叠1.pdf")),
        b"",
    );
    assert_eq!(aside.status, 200, "{}", aside.text());
    assert!(folder.join("扫描件_不用的/叠1.pdf").is_file());
    let status = server.request("GET", "/api/scan", b"").json();
    assert_eq!(status["files"].as_array().unwrap().len(), 0);
    let nothing = server.request("POST", "/api/scan", b"");
    assert_eq!(nothing.status, 409, "{}", nothing.text());
    // What the ledger noted from it went with it: received on the wrong
    // day, it is dropped again and read with the right one.
    assert!(
        aside
            .text()
            .contains("台账里按它记下的 2 张入户调查表已去掉"),
        "{}",
        aside.text()
    );
    let paper = |day| {
        zoufang::summary::ledger::Ledger::open(&folder.join("台账.sqlite"))
            .unwrap()
            .paper_as_of(day)
            .unwrap()
            .len()
    };
    assert_eq!(paper(jiff::civil::date(2026, 1, 1)), 0);
    let again = server.request(
        "POST",
        &format!("/api/scan/file?name={}", encode("叠1.pdf")),
        &std::fs::read(folder.join("扫描件_不用的/叠1.pdf")).unwrap(),
    );
    assert_eq!(again.status, 200, "{}", again.text());
    server.request("POST", "/api/scan?received=2017-03-27", b"");
    let status = scan_done(&server);
    assert_eq!(status["found"]["recorded_new"], 2, "{status}");
    assert_eq!(paper(jiff::civil::date(2017, 3, 26)), 0);
    assert_eq!(paper(jiff::civil::date(2017, 3, 27)), 2);
}

/// The corpus, in small: every household form of two cadres (60)
/// rendered at 150 and at 200 dpi, each page degraded its own way — skewed
/// -5° to +5°, a third turned round, a quarter black and white, a fifth
/// speckled, a sixth soft, stored as low-quality JPEG in a scanner's PDF. Figures: share
/// of pages identified (goal 100% at 200 dpi, ≥ 99% at 150 dpi), pages
/// taken for another form (always 0).
#[test]
fn identified_shares_on_a_degraded_stack() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[
            ("张卫国", "13800138001", 30.0),
            ("李秀英", "13800138002", 30.0),
        ],
    );
    let kits = typeset_all(&roster, &Settings::default(), Template::Kit);
    // A kit: card sheets, then its household forms, then the problem list.
    let forms: Vec<(String, typst_layout::Page)> = kits
        .iter()
        .zip(["ZF0001", "ZF0002"])
        .flat_map(|(pages, cadre)| {
            let first = pages.len() - 30 - 1;
            pages[first..first + 30]
                .iter()
                .enumerate()
                .map(move |(i, p)| (format!("{cadre}-{:02}", i + 1), p.clone()))
        })
        .collect();
    for dpi in [150.0, 200.0] {
        let pages: Vec<typst_layout::Page> = forms.iter().map(|(_, p)| p.clone()).collect();
        let rendered = render(&pages, dpi);
        let degraded: Vec<(Page, Stored)> = rendered
            .iter()
            .enumerate()
            .map(|(i, page)| {
                let angle = ((i * 7) % 11) as f64 - 5.0;
                // Every other form written on before the skew, every
                // other one of those with a fine pen.
                let written = match i % 4 {
                    0 => page.scribbled(dpi),
                    2 => page.written(dpi, 1),
                    _ => page.clone(),
                };
                let mut page = written.rotated(angle);
                if i % 3 == 0 {
                    page = page.turned_round();
                }
                if i % 4 == 1 {
                    page = page.one_bit();
                }
                if i % 5 == 2 {
                    page = page.speckled(300);
                }
                if i % 6 == 4 {
                    page = page.blurred();
                }
                // A seventh in black and white by dithering, as G4; half
                // of those (blank forms) on tinted paper, recycled or
                // yellowed, whose dots cover the whole page.
                if i % 7 == 3 {
                    let page = if i % 14 == 3 { page.tinted() } else { page };
                    let page = page.dithered();
                    let g4 = page.g4();
                    return (page, Stored::G4(g4));
                }
                let jpeg = page.jpeg(45);
                (page, Stored::Jpeg(jpeg))
            })
            .collect();
        let stack = dir.path().join(format!("{dpi}.pdf"));
        std::fs::write(&stack, scanner_pdf(&degraded)).unwrap();
        let json = dir.path().join(format!("{dpi}.json"));
        let out = dir.path().join(format!("out{dpi}"));
        zoufang(&[
            "scan",
            stack.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ]);
        let data: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let read = data["pages"].as_array().unwrap();
        assert_eq!(read.len(), forms.len());
        let (mut identified, mut decided) = (0, 0);
        let mut missed = Vec::new();
        for (i, (page, (serial, _))) in read.iter().zip(&forms).enumerate() {
            match page["serial"].as_str() {
                Some(s) => {
                    assert_eq!(
                        s, serial,
                        "page {} at {dpi} dpi taken for another form",
                        page["page"]
                    );
                    identified += 1;
                    if page["filled"] == (i % 2 == 0) {
                        decided += 1;
                    } else {
                        missed.push(format!("{} filled said {}", page["page"], page["filled"]));
                    }
                }
                None => missed.push(format!("{} {}", page["page"], page["unreadable"])),
            }
        }
        let n = forms.len() as f64;
        eprintln!(
            "{dpi} dpi: {identified}/{} identified, filled or blank decided right on {decided}; missed: {missed:?}",
            forms.len()
        );
        // The goals: every page at 200 dpi, 99% at 150 dpi (all of
        // sixty), filled or blank decided right on 99%.
        let goal = if dpi < 200.0 { 0.99 } else { 1.0 };
        assert!(f64::from(identified) / n >= goal, "{dpi} dpi: {missed:?}");
        assert!(f64::from(decided) / n >= 0.99, "{dpi} dpi: {missed:?}");
    }
}
