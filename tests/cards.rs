//! Contact cards (annex 2): the QR code of every card, decoded from the
//! rendered sheet, carries its cadre; each back sits behind its own front for
//! long-edge duplex; crop marks stay outside the cards.

mod common;

use common::*;
use typst::layout::{Abs, Frame, FrameItem, Point};
use typst::visualize::Geometry;
use zoufang::settings::Settings;
use zoufang::typeset::{Engine, Template};

const CARD_W: f64 = 90.0;
const CARD_H: f64 = 54.0;
const X0: f64 = 15.0;
const Y0: f64 = 13.5;
/// Pixels per point for decoding: about 300 dpi.
const SCALE: f32 = 300.0 / 72.0;

/// The card rectangle (mm) of slot `col`, `row` on a sheet.
fn card_rect(col: usize, row: usize) -> (f64, f64, f64, f64) {
    let x = X0 + col as f64 * CARD_W;
    let y = Y0 + row as f64 * CARD_H;
    (x, y, x + CARD_W, y + CARD_H)
}

fn inside(rect: (f64, f64, f64, f64), x: f64, y: f64) -> bool {
    x > rect.0 + 0.01 && x < rect.2 - 0.01 && y > rect.1 + 0.01 && y < rect.3 - 0.01
}

/// What is drawn on a page, positions in mm.
#[derive(Default)]
struct Drawn {
    /// Text runs: where and what.
    texts: Vec<(f64, f64, String)>,
    /// Lines: start and end.
    lines: Vec<(Point, Point)>,
    /// Images: where, and their width and height.
    images: Vec<(f64, f64, f64, f64)>,
}

fn drawn(page: &typst_layout::Page) -> Drawn {
    fn walk(frame: &Frame, origin: Point, out: &mut Drawn) {
        for (pos, item) in frame.items() {
            let at = origin + *pos;
            match item {
                FrameItem::Group(g) => walk(
                    &g.frame,
                    at + Point::new(g.transform.tx, g.transform.ty),
                    out,
                ),
                FrameItem::Text(t) => {
                    out.texts
                        .push((at.x.to_mm(), at.y.to_mm(), t.text.to_string()))
                }
                FrameItem::Shape(shape, _) => {
                    if let Geometry::Line(delta) = shape.geometry {
                        out.lines.push((at, at + delta));
                    }
                }
                FrameItem::Image(_, size, _) => {
                    out.images
                        .push((at.x.to_mm(), at.y.to_mm(), size.x.to_mm(), size.y.to_mm()))
                }
                _ => {}
            }
        }
    }
    let mut out = Drawn::default();
    walk(&page.frame, Point::zero(), &mut out);
    out
}

/// Decodes the QR code inside a card rectangle of a rendered page.
fn decode(raster: &Raster, rect: (f64, f64, f64, f64)) -> Option<String> {
    let px = |mm: f64| (mm / 25.4 * 72.0 * SCALE as f64) as usize;
    let (x0, y0, x1, y1) = (px(rect.0), px(rect.1), px(rect.2), px(rect.3));
    let (width, data) = (raster.width, &raster.data);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(x1 - x0, y1 - y0, |x, y| {
        let i = ((y0 + y) * width + x0 + x) * 4;
        // Premultiplied RGBA over white.
        let alpha = data[i + 3] as u32;
        (data[i] as u32 + 255 - alpha).min(255) as u8
    });
    image
        .detect_grids()
        .first()
        .and_then(|g| g.decode().ok())
        .map(|(_, s)| s)
}

/// A rendered page: premultiplied RGBA pixels.
struct Raster {
    data: Vec<u8>,
    width: usize,
}

fn render(page: &typst_layout::Page) -> Raster {
    let options = typst_render::RenderOptions {
        pixel_per_pt: (SCALE as f64).into(),
        render_bleed: false,
    };
    let pixmap = typst_render::render(page, &options);
    Raster {
        data: pixmap.data().to_vec(),
        width: pixmap.width() as usize,
    }
}

#[test]
fn duplex_backs_carry_their_fronts_qr() {
    let dir = tempfile::tempdir().unwrap();
    // 3 + 4 + 5 = 12 cards: two sheets, the first mixing all three cadres.
    let roster = small_roster(
        dir.path(),
        &[
            ("潘#明", "13800138001", 3.0),
            ("欧阳明月", "13800138002", 4.0),
            ("李堃", "13800138003", 5.0),
        ],
    );
    // Laid out card by card (as in PDF/A), so that the fronts' text can be
    // read by position; `a_card_files_cards_keep_their_order_across_sheets`
    // reads the stamped sheets.
    let settings = Settings {
        hotline: "12345".into(),
        pdf_a: true,
        ..Settings::default()
    };
    let input = zoufang::input::read_input(&roster);
    let checked = zoufang::check::roster::build(&input.sheets, &settings, "名单.xlsx");
    assert!(!checked.has_faults(), "{:?}", checked.faults);
    let (plan, problems) = zoufang::print::plan::plan(&checked.roster, &settings);
    assert!(problems.is_empty());
    let doc = plan
        .documents
        .iter()
        .find(|d| d.template() == Template::Cards)
        .expect("department card file");
    assert_eq!(doc.cards, 12);
    let engine = Engine::new(&[], settings.document_date, None).unwrap();
    let typeset = engine
        .typeset(&plan.payload(doc, &checked.roster, &settings))
        .unwrap();
    let pages = typeset.document.pages();
    assert_eq!(pages.len(), 4, "two sheets, front and back");

    let mobiles = [
        ("潘#明", "13800138001"),
        ("欧阳明月", "13800138002"),
        ("李堃", "13800138003"),
    ];
    let expected: Vec<&str> = [("潘#明", 3), ("欧阳明月", 4), ("李堃", 5)]
        .iter()
        .flat_map(|(n, k)| std::iter::repeat_n(*n, *k))
        .collect();
    for sheet in 0..2 {
        let (front, back) = (&pages[sheet * 2], &pages[sheet * 2 + 1]);
        let Drawn { texts, lines, .. } = drawn(front);
        let back_image = render(back);
        for slot in 0..10 {
            let (col, row) = (slot % 2, slot / 2);
            let index = sheet * 10 + slot;
            let front_rect = card_rect(col, row);
            let back_rect = card_rect(1 - col, row);
            // A name may be shaped in several runs (a rare character comes from the fallback font).
            let card_text: String = texts
                .iter()
                .filter(|(x, y, _)| inside(front_rect, *x, *y))
                .map(|(_, _, t)| t.as_str())
                .collect();
            let names: Vec<&str> = mobiles
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| card_text.contains(n))
                .collect();
            let decoded = decode(&back_image, back_rect);
            if index >= expected.len() {
                assert!(
                    names.is_empty() && decoded.is_none(),
                    "slot {slot} of sheet {sheet} is empty"
                );
                continue;
            }
            let name = expected[index];
            assert_eq!(names, [name], "front of card {index}");
            let payload = decoded.unwrap_or_else(|| panic!("card {index}: QR does not decode"));
            let mobile = mobiles.iter().find(|(n, _)| *n == name).unwrap().1;
            assert!(
                payload.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\n"),
                "{payload}"
            );
            assert!(
                payload.contains(&format!("\r\nFN:{name}\r\n")),
                "card {index}: {payload}"
            );
            assert!(
                payload.contains(&format!("\r\nTEL;TYPE=CELL:{mobile}\r\n")),
                "{payload}"
            );
            assert!(payload.contains("\r\nORG:市民政局\r\n"));
        }
        // Crop marks: lines on the sheet, none of them inside a card.
        let back_lines = drawn(back).lines;
        for (a, b) in lines.iter().chain(&back_lines) {
            let mid = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
            let (mx, my) = (mid.0.to_mm(), mid.1.to_mm());
            let in_card = (0..10).any(|s| {
                let r = card_rect(s % 2, s / 2);
                mx >= r.0 && mx <= r.2 && my >= r.1 && my <= r.3
            });
            let is_card_rule = in_card && (b.x - a.x).abs() > Abs::mm(50.0);
            assert!(
                !in_card || is_card_rule,
                "crop mark inside a card at ({mx:.1}, {my:.1}) mm"
            );
        }
        assert!(lines.len() >= 14, "crop marks on the front sheet");
    }
    // The fronts print the hotline and the mobile in digits.
    let all: String = drawn(&pages[0])
        .texts
        .iter()
        .map(|t| t.2.as_str())
        .collect();
    assert!(
        all.contains("13800138001") && all.contains("监督服务热线：12345"),
        "{all}"
    );
}

#[test]
fn url_mode_and_kits_hold_as_many_cards_as_forms() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("王\\磊", "13800138009", 12.0)]);
    let out = dir.path().join("out");
    let run = print_into(
        "kits",
        &roster,
        &out,
        &["--qr-url", "https://example.gov.cn/c/{编号}"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = read_csv(&out.join("清单.csv"));
    let kit = manifest.iter().find(|r| r[4] == "王\\磊").unwrap();
    assert_eq!(kit[11], "12", "as many cards as household forms");
    assert_eq!(kit[2], (4 + 12 + 1).to_string());
    let cards = manifest
        .iter()
        .find(|r| r[1].starts_with("单位联系卡"))
        .unwrap();
    assert_eq!((cards[2].as_str(), cards[11].as_str()), ("4", "12"));
    let text = pdf_text(&out.join(&kit[0]));
    assert!(text.contains("王\\磊") && text.contains("13800138009"));

    // The URL payload, decoded from the rendered card.
    let settings = Settings {
        qr_mode: zoufang::settings::QrMode::Url("https://example.gov.cn/c/{编号}".into()),
        ..Settings::default()
    };
    let typeset = typeset_first(&roster, &settings, Template::Cards);
    let back = render(&typeset.document.pages()[1]);
    assert_eq!(
        decode(&back, card_rect(1, 0)).as_deref(),
        Some("https://example.gov.cn/c/ZF0001")
    );
}

/// The first document of the roster's plan made with `template`, typeset.
fn typeset_first(
    roster: &std::path::Path,
    settings: &Settings,
    template: Template,
) -> zoufang::typeset::Typeset {
    let input = zoufang::input::read_input(roster);
    let checked = zoufang::check::roster::build(&input.sheets, settings, "名单.xlsx");
    let (plan, _) = zoufang::print::plan::plan(&checked.roster, settings);
    let doc = plan
        .documents
        .iter()
        .find(|d| d.template() == template)
        .unwrap();
    let engine = Engine::new(&[], settings.document_date, None).unwrap();
    engine
        .typeset(&plan.payload(doc, &checked.roster, settings))
        .unwrap()
}

#[test]
fn a_kits_cards_print_the_card_typeset_once() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("欧阳明月", "13800138002", 12.0)]);
    let typeset = typeset_first(&roster, &Settings::default(), Template::Kit);
    let pages = typeset.document.pages();
    // Both sheets, the full one (10 cards) and the short one (2 cards),
    // print the cadre's card typeset once: each slot, front and back, is an
    // image of a card's size in its place; both backs scan, every slot in
    // its mirrored place.
    for (front, cards) in [(0, 10), (2, 2)] {
        for (page, mirrored) in [(front, false), (front + 1, true)] {
            let mut placed = drawn(&pages[page]).images;
            placed.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut slots: Vec<(f64, f64, f64, f64)> = (0..cards)
                .map(|slot| {
                    let col = if mirrored { 1 - slot % 2 } else { slot % 2 };
                    let rect = card_rect(col, slot / 2);
                    (rect.0, rect.1, CARD_W, CARD_H)
                })
                .collect();
            slots.sort_by(|a, b| a.partial_cmp(b).unwrap());
            assert_eq!(placed.len(), slots.len(), "page {page}");
            for (got, want) in placed.iter().zip(&slots) {
                let close = [
                    got.0 - want.0,
                    got.1 - want.1,
                    got.2 - want.2,
                    got.3 - want.3,
                ]
                .iter()
                .all(|d| d.abs() < 0.01);
                assert!(close, "page {page}: image at {got:?}, card at {want:?}");
            }
        }
        let image = render(&pages[front + 1]);
        for slot in 0..10 {
            let (col, row) = (slot % 2, slot / 2);
            let decoded = decode(&image, card_rect(1 - col, row));
            if slot < cards {
                let payload = decoded.unwrap_or_else(|| panic!("page {front} slot {slot}"));
                assert!(payload.contains("\r\nFN:欧阳明月\r\n"), "{payload}");
            } else {
                assert!(decoded.is_none(), "page {front} slot {slot} is empty");
            }
        }
    }
}

/// The names on a back page of a card sheet, slot by slot (front order),
/// decoded from the QR codes; `None` for an empty slot.
fn names_on_back(page: &typst_layout::Page) -> Vec<Option<String>> {
    let image = render(page);
    (0..10)
        .map(|slot| {
            let (col, row) = (slot % 2, slot / 2);
            decode(&image, card_rect(1 - col, row)).map(|payload| {
                let name = payload.split("\r\nFN:").nth(1).unwrap_or_default();
                name.split("\r\n").next().unwrap_or_default().to_string()
            })
        })
        .collect()
}

#[test]
fn a_card_files_cards_keep_their_order_across_sheets() {
    let dir = tempfile::tempdir().unwrap();
    // 12 + 7 + 25 cards, ten to a sheet, every card its cadre's card typeset
    // once: 甲×10 | 甲×2 乙×7 丙×1 | 丙×10 | 丙×10 | 丙×4.
    let roster = small_roster(
        dir.path(),
        &[
            ("张甲", "13800138001", 12.0),
            ("李乙", "13800138002", 7.0),
            ("王丙", "13800138003", 25.0),
        ],
    );
    let typeset = typeset_first(&roster, &Settings::default(), Template::Cards);
    let pages = typeset.document.pages();
    assert_eq!(pages.len(), 10);
    let name = |s: &str| Some(s.to_string());
    let expected: [Vec<Option<String>>; 5] = [
        vec![name("张甲"); 10],
        [
            vec![name("张甲"); 2],
            vec![name("李乙"); 7],
            vec![name("王丙")],
        ]
        .concat(),
        vec![name("王丙"); 10],
        vec![name("王丙"); 10],
        [vec![name("王丙"); 4], vec![None; 6]].concat(),
    ];
    for (sheet, want) in expected.iter().enumerate() {
        assert_eq!(
            &names_on_back(&pages[2 * sheet + 1]),
            want,
            "sheet {}",
            sheet + 1
        );
        let cards = want.iter().flatten().count();
        for page in [2 * sheet, 2 * sheet + 1] {
            assert_eq!(drawn(&pages[page]).images.len(), cards, "page {page}");
        }
    }
}

#[test]
fn a_card_file_is_the_same_whether_its_kits_were_made_first_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[("张甲", "13800138001", 12.0), ("王丙", "13800138003", 25.0)],
    );
    let kits = dir.path().join("kits");
    let cards = dir.path().join("cards");
    print_quietly("kits", &roster, &kits);
    print_quietly("cards", &roster, &cards);
    let file = std::path::Path::new("市民政局").join("联系卡_市民政局.pdf");
    let from_kits = std::fs::read(kits.join(&file)).unwrap();
    let alone = std::fs::read(cards.join(&file)).unwrap();
    assert!(from_kits == alone, "the card file differs");
    let text = pdf_text(&kits.join(&file));
    assert_eq!(text.matches("张甲").count(), 12, "{text}");
    assert_eq!(text.matches("王丙").count(), 25, "{text}");
}

#[test]
fn a_large_departments_card_file_comes_in_volumes_of_thirty_cadres() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..31)
        .map(|i| {
            let surname = ["张", "王", "李", "赵", "刘", "陈"][i % 6];
            let given = ["一", "二", "三", "四", "五", "六"][i / 6];
            format!("{surname}{given}")
        })
        .collect();
    let mobiles: Vec<String> = (0..31).map(|i| format!("1380013{i:04}")).collect();
    let cadres: Vec<(&str, &str, f64)> = names
        .iter()
        .zip(&mobiles)
        .map(|(name, mobile)| (name.as_str(), mobile.as_str(), 2.0))
        .collect();
    let roster = small_roster(dir.path(), &cadres);
    let out = dir.path().join("out");
    let run = print_quietly("cards", &roster, &out);
    let folder = out.join("市民政局");
    assert!(!folder.join("联系卡_市民政局.pdf").exists());
    let first = pdf_text(&folder.join("联系卡_市民政局_第1册（共2册）.pdf"));
    let second = pdf_text(&folder.join("联系卡_市民政局_第2册（共2册）.pdf"));
    for (i, name) in names.iter().enumerate() {
        let (here, there) = if i < 30 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        assert_eq!(here.matches(name.as_str()).count(), 2, "{name}: {here}");
        assert_eq!(there.matches(name.as_str()).count(), 0, "{name}: {there}");
    }
    assert!(run.stdout.contains("共 14 页"), "{}", run.stdout);
}
