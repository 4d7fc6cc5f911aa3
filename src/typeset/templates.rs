//! The built-in templates, embedded in the binary.

/// The templates in `typst-templates/`, embedded in the binary.
pub(crate) static BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("style.typ", include_str!("../../typst-templates/style.typ")),
    (
        "annex1.typ",
        include_str!("../../typst-templates/annex1.typ"),
    ),
    (
        "annex3.typ",
        include_str!("../../typst-templates/annex3.typ"),
    ),
    (
        "annex4.typ",
        include_str!("../../typst-templates/annex4.typ"),
    ),
    ("card.typ", include_str!("../../typst-templates/card.typ")),
    (
        "cardfaces.typ",
        include_str!("../../typst-templates/cardfaces.typ"),
    ),
    (
        "village.typ",
        include_str!("../../typst-templates/village.typ"),
    ),
    ("kit.typ", include_str!("../../typst-templates/kit.typ")),
    (
        "household.typ",
        include_str!("../../typst-templates/household.typ"),
    ),
    ("cards.typ", include_str!("../../typst-templates/cards.typ")),
    (
        "annex5.typ",
        include_str!("../../typst-templates/annex5.typ"),
    ),
    (
        "summary.typ",
        include_str!("../../typst-templates/summary.typ"),
    ),
    (
        "annex5frame.typ",
        include_str!("../../typst-templates/annex5frame.typ"),
    ),
    (
        "householdframe.typ",
        include_str!("../../typst-templates/householdframe.typ"),
    ),
    (
        "charts.typ",
        include_str!("../../typst-templates/charts.typ"),
    ),
    ("brief.typ", include_str!("../../typst-templates/brief.typ")),
    ("chart.typ", include_str!("../../typst-templates/chart.typ")),
    (
        "closing.typ",
        include_str!("../../typst-templates/closing.typ"),
    ),
];
