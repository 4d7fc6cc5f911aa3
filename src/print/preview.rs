//! The forms shown before printing: the first village survey (annex 1) and
//! the first cadre's kit — card front and back (annex 2), household form
//! (annex 3), problem list (annex 4) — typeset from the roster as they will
//! print. `zoufang preview` writes them as PNG files; the web page shows them.

use super::plan::{Plan, card_pages};
use crate::check::model::Roster;
use crate::settings::Settings;
use crate::typeset::{Engine, Job, Picture, Template, png_pages};

/// The documents to preview, each with the pages shown.
pub(crate) fn form_documents(
    plan: &Plan,
    roster: &Roster,
    settings: &Settings,
) -> Vec<(Job, Vec<Picture>)> {
    let mut documents = Vec::new();
    let first = |template| plan.documents.iter().find(|d| d.template() == template);
    if let Some(doc) = first(Template::Village) {
        let pictures = vec![("附件1_村（社区）调查表", 0)];
        documents.push((plan.payload(doc, roster, settings), pictures));
    }
    if let Some(doc) = first(Template::Kit) {
        let cards = card_pages(doc.cards) as usize;
        let pictures = vec![
            ("附件2_走访联系卡_正面", 0),
            ("附件2_走访联系卡_反面", 1),
            ("附件3_群众入户调查表", cards),
            ("附件4_问题清单", doc.pages as usize - 1),
        ];
        documents.push((plan.payload(doc, roster, settings), pictures));
    }
    documents
}

/// The forms' pictures: (name, PNG bytes), in the order above.
pub(crate) fn form_pictures(
    engine: &Engine,
    plan: &Plan,
    roster: &Roster,
    settings: &Settings,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut all = Vec::new();
    for (job, pictures) in form_documents(plan, roster, settings) {
        all.extend(png_pages(engine, &job, &pictures)?);
    }
    Ok(all)
}
