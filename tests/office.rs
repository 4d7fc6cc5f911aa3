//! An office starting from nothing: `init`, settings, exported and edited
//! templates, data for template work, previews, identical bytes every run.

mod common;

use common::*;

#[test]
fn init_gives_a_roster_that_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    let run = zoufang(&["init", office.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let roster = office.join("名单.xlsx");
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("名单可以打印（0 处提醒"),
        "{}",
        run.stdout
    );
    // init never overwrites.
    let again = zoufang(&["init", office.to_str().unwrap()]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("已经存在，没有覆盖"));
}

#[test]
fn settings_file_next_to_the_roster_is_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    assert_eq!(zoufang(&["init", office.to_str().unwrap()]).code, 0);
    let config = office.join("zoufang.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let edited = text
        .replace("campaign_year = 2017", "campaign_year = 2019")
        .replace("hotline = \"\"", "hotline = \"0519-12345\"")
        .replace("problem_rows_per_page = 14", "problem_rows_per_page = 10");
    std::fs::write(&config, edited).unwrap();
    let out = dir.path().join("out");
    let roster = office.join("名单.xlsx");
    let manifest = kits_manifest(&roster, &out);
    let village = manifest
        .iter()
        .find(|r| r[1].starts_with("村（社区）调查表"))
        .unwrap();
    let text = pdf_text(&out.join(&village[0]));
    assert!(
        text.contains("2018年村（社区）集体总收入（万元）"),
        "{text}"
    );
    let kit = manifest.iter().find(|r| r[4] == "张三").unwrap();
    let pages = pdf_pages(&out.join(&kit[0]));
    assert!(pages[0].contains("监督服务热线：0519-12345"));
    let annex4 = pages.last().unwrap();
    assert!(
        // Rows 1 to 10, then the kit's own 走访人 line (printed over the
        // shared frame, so it comes last in the text).
        annex4.contains("序号走访对象反映问题或意见建议办理意见12345678910走访人:"),
        "10 rows per annex-4 page: {annex4}"
    );

    // An unknown key names the key, the file and the line.
    std::fs::write(&config, "campaign_year = 2019\ncolour = \"red\"\n").unwrap();
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "【错误】文件「{}」第2行：不认识的设置项「colour」",
            config.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn exported_templates_are_used_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("潘#明", "13800138001", 3.0)]);
    let templates = dir.path().join("模板");
    assert_eq!(
        zoufang(&["templates", "export", templates.to_str().unwrap()]).code,
        0
    );
    let annex3 = templates.join("annex3.typ");
    let text = std::fs::read_to_string(&annex3).unwrap();
    assert!(text.contains("form-title(\"群众入户调查表\")"));
    std::fs::write(
        &annex3,
        text.replace(
            "form-title(\"群众入户调查表\")",
            "form-title(\"群众入户调查表（武进区试行）\")",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let data = dir.path().join("data");
    let run = print_into(
        "kits",
        &roster,
        &out,
        &[
            "--templates",
            templates.to_str().unwrap(),
            "--emit-data",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = read_csv(&out.join("清单.csv"));
    let kit = manifest.iter().find(|r| r[4] == "潘#明").unwrap();
    let pages = pdf_pages(&out.join(&kit[0]));
    let edited = pages
        .iter()
        .filter(|p| p.contains("群众入户调查表（武进区试行）"))
        .count();
    assert_eq!(edited, 3, "every annex-3 page carries the edited title");
    // The data the template received, for working with the plain Typst CLI.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join(&kit[0]).with_extension("json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["cadre"]["name"], "潘#明");
    assert_eq!(json["forms"][2], "ZF0001-03");

    // A broken template names its file and line.
    std::fs::write(
        &annex3,
        format!("{text}\n#let oops = no-such-function(1)\n"),
    )
    .unwrap();
    let run = print_into(
        "kits",
        &roster,
        &dir.path().join("out2"),
        &["--templates", templates.to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    let line = text.lines().count() + 2;
    assert!(
        run.stderr.contains(&format!(
            "{}:{line}:13: unknown variable: no-such-function",
            annex3.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn same_inputs_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[
            ("李堃", "13800138001", 12.0),
            ("吴$婷[实习]", "13800138002", 3.0),
        ],
    );
    // Plain PDFs (kits print their repeated pages from a stamp) and PDF/A.
    for standard in [None, Some("a-2b")] {
        let mut runs = Vec::new();
        for name in ["a", "b"] {
            let out = dir.path().join(format!("{name}-{standard:?}"));
            let flags = match standard {
                Some(s) => vec!["--pdf-standard", s],
                None => Vec::new(),
            };
            let run = print_into("kits", &roster, &out, &flags);
            assert_eq!(run.code, 0, "{}", run.stderr);
            let manifest = read_csv(&out.join("清单.csv"));
            let files: Vec<(String, Vec<u8>)> = manifest[1..]
                .iter()
                .map(|r| (r[0].clone(), std::fs::read(out.join(&r[0])).unwrap()))
                .collect();
            runs.push((std::fs::read(out.join("清单.csv")).unwrap(), files));
        }
        assert_eq!(runs[0].0, runs[1].0);
        assert_eq!(runs[0].1.len(), 5);
        for (a, b) in runs[0].1.iter().zip(&runs[1].1) {
            assert_eq!(a.0, b.0);
            assert!(a.1 == b.1, "{} differs between runs ({standard:?})", a.0);
        }
        let pdf = &runs[0].1.iter().find(|f| f.0.ends_with(".pdf")).unwrap().1;
        let text = String::from_utf8_lossy(pdf);
        assert_eq!(
            text.contains("pdfaid"),
            standard.is_some(),
            "PDF/A metadata"
        );
    }
}

#[test]
fn previews_show_every_kind_of_page() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("潘#明", "13800138001", 3.0)]);
    let out = dir.path().join("previews");
    let run = zoufang(&[
        "preview",
        roster.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "附件1_村（社区）调查表",
        "附件2_走访联系卡_正面",
        "附件2_走访联系卡_反面",
        "附件3_群众入户调查表",
        "附件4_问题清单",
    ] {
        let png = std::fs::read(out.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
    }
}
