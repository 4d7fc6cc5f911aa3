//! Parts typeset once and placed as PDF pages: a kit's household pages, each
//! cadre's card, the annex-5 frame.

use std::collections::HashMap;

use typst::foundations::Bytes;
use typst::syntax::FileId;

use super::world::file_id;
use super::{CardFace, Engine, Job, RenderError, Stamps, Template, Typeset};

/// Household frames kept for the kits that come (see `Engine::household_frame`).
pub(super) const KEPT_HOUSEHOLD_FRAMES: usize = 16;

impl Engine {
    /// Typesets one document from its data.
    ///
    /// A kit's household forms are all the same page but for the serial
    /// number, and a cadre's cards are all alike; laying them out again and
    /// again was most of a run. So a kit's unchanging pages — the household
    /// form with the frame of its serial box, and the problem list — are
    /// typeset once per kit (in two layers, below), and each cadre's card,
    /// front and back (`Template::CardFaces`), once per cadre, and turned
    /// into PDFs ("stamps") that the kit or card file places, printing only
    /// the serial numbers itself: their text stays text, embedded once per
    /// file, and a kit's own fonts shrink to the digits of its serials. What
    /// is stamped reaches the template as `/stamps.json`. A card stamp made
    /// for a kit is kept until the department's card file, which comes after
    /// the department's kits, takes it (see `CardStamps`). A kit's household
    /// pages are two stamps: its own lines (`Template::Household`) over a
    /// frame that kits whose lines take the same room share
    /// (`Template::HouseholdFrame`, typeset once per run for each): the
    /// frame's titles, tables and labels were most of what a kit's stamps
    /// took to typeset and to subset fonts for. A summary's
    /// village tables (annex 5) print the frame every village shares
    /// (`Template::Annex5Frame`), typeset once per run, under their own
    /// values. Not for PDF/A, which forbids PDF pages as images: the caller
    /// says what is stamped (`Job::stamps`).
    pub fn typeset(&self, job: &Job) -> Result<Typeset, RenderError> {
        let mut files: Vec<(FileId, Bytes)> = job
            .files
            .iter()
            .map(|(path, bytes)| (file_id(path), bytes.clone()))
            .collect();
        let mut household = serde_json::Value::Null;
        let mut cards = serde_json::Map::new();
        let mut annex5 = serde_json::Value::Null;
        match &job.stamps {
            Stamps::None => {}
            Stamps::Annex5 { note } => {
                files.push((file_id("/annex5.pdf"), self.annex5_frame(note)?));
                annex5 = "/annex5.pdf".into();
            }
            Stamps::Kit(faces) => {
                let values = self.compile(Template::Household, job.data.clone(), files.clone())?;
                let frame = self.household_frame(&values)?;
                let pdf = self.pdf(&values, Template::Household.main_file(), false)?;
                files.push((file_id("/household.pdf"), Bytes::new(pdf)));
                files.push((file_id("/household-frame.pdf"), frame));
                household = serde_json::json!({
                    "frame": "/household-frame.pdf",
                    "values": "/household.pdf",
                });
                cards = self.card_stamps_of(faces, true, &mut files)?;
            }
            Stamps::CardFile(faces) => cards = self.card_stamps_of(faces, false, &mut files)?,
        }
        let stamps = serde_json::json!({"household": household, "cards": cards, "annex5": annex5});
        files.push((
            file_id("/stamps.json"),
            Bytes::new(serde_json::to_vec(&stamps).unwrap_or_default()),
        ));
        self.compile(job.template, job.data.clone(), files)
    }

    /// The card stamps of a kit or card file, added to `files`: what
    /// `/stamps.json` says of them (`id: path`). A kit typesets its cadre's
    /// card and leaves it for the department's card file, which takes each
    /// of its cards from there and typesets only those no kit left.
    fn card_stamps_of(
        &self,
        faces: &[CardFace],
        kit: bool,
        files: &mut Vec<(FileId, Bytes)>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, RenderError> {
        let mut cards = serde_json::Map::new();
        for (n, face) in faces.iter().enumerate() {
            // Only a card file takes; only a kit keeps.
            let cached = (!kit).then(|| self.card_stamps.take(&face.data)).flatten();
            let pdf = match cached {
                Some(pdf) => pdf,
                None => {
                    let pdf = self.stamp(Template::CardFaces, face.data.clone(), files.clone())?;
                    if kit {
                        self.card_stamps.keep(face.data.clone(), pdf.clone());
                    }
                    pdf
                }
            };
            let path = format!("/cardfaces/{}.pdf", n + 1);
            files.push((file_id(&path), pdf));
            cards.insert(face.id.clone(), path.into());
        }
        Ok(cards)
    }

    /// The frame under a kit's own household lines (`values`, typeset from
    /// household.typ): typeset from what they say under the label `<frame>`,
    /// the first time a kit needs it. A frame is the same bytes whichever
    /// kit asks first, as it is made from nothing else.
    fn household_frame(&self, values: &Typeset) -> Result<Bytes, RenderError> {
        use typst::introspection::Introspector as _;
        let label = typst::foundations::Label::new(typst::utils::PicoStr::intern("frame"));
        let said = label
            .and_then(|label| values.document.introspector().query_label(label).ok())
            .and_then(|content| {
                let metadata = content.to_packed::<typst::introspection::MetadataElem>()?;
                serde_json::to_vec(&metadata.value).ok()
            })
            .ok_or_else(|| {
                RenderError::Template(vec![format!(
                    "{} 里没有标为 <frame> 的 metadata（入户调查表底版的尺寸；\
                     可用 zoufang templates export 导出新版模板对照）",
                    Template::Household.main_file()
                )])
            })?;
        let known = |frames: &Vec<(Vec<u8>, Bytes)>| {
            frames
                .iter()
                .find(|(k, _)| *k == said)
                .map(|(_, f)| f.clone())
        };
        if let Some(frame) = self.household_frames.lock().ok().and_then(|f| known(&f)) {
            return Ok(frame);
        }
        let frame = self.stamp(
            Template::HouseholdFrame,
            Bytes::new(said.clone()),
            Vec::new(),
        )?;
        if let Ok(mut frames) = self.household_frames.lock()
            && known(&frames).is_none()
        {
            // A long 走访人 line shrinks to its own size, and so needs its
            // own frame: only the latest are kept.
            if frames.len() == KEPT_HOUSEHOLD_FRAMES {
                frames.remove(0);
            }
            frames.push((said, frame.clone()));
        }
        Ok(frame)
    }

    /// The annex-5 frame with `note` under the table: typeset once for the
    /// villages of a summary, which all carry the same note (the workers
    /// that want it meanwhile wait for it).
    fn annex5_frame(&self, note: &str) -> Result<Bytes, RenderError> {
        let mut kept = self
            .annex5_frame
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((for_note, frame)) = kept.as_ref()
            && for_note == note
        {
            return frame.clone();
        }
        let data = serde_json::to_vec(&serde_json::json!({
            "note": note,
            "categories": crate::schema::returns::Category::labels(),
        }))
        .unwrap_or_default();
        let frame = self.stamp(Template::Annex5Frame, Bytes::new(data), Vec::new());
        *kept = Some((note.to_string(), frame.clone()));
        frame
    }

    /// Typesets a part of a document and turns it into a PDF to be placed.
    fn stamp(
        &self,
        part: Template,
        data: Bytes,
        files: Vec<(FileId, Bytes)>,
    ) -> Result<Bytes, RenderError> {
        let typeset = self.compile(part, data, files)?;
        Ok(Bytes::new(self.pdf(&typeset, part.main_file(), false)?))
    }
}

/// Cards typeset for kits, waiting for their department's card file. At
/// most `CardStamps::LIMIT` are kept (a run's order keeps it far below);
/// past that a card file typesets the card again, with the same bytes. A
/// card file can come before one of its kits is done (the other worker is
/// still on it): it typesets that card itself and leaves word (`None`), so
/// that the kit does not leave a card no one would take. Such cards piled
/// up to the limit over a city's run: 6,000 cadres crept up by some 20 MB.
#[derive(Default)]
pub(super) struct CardStamps(std::sync::Mutex<HashMap<Bytes, Option<Bytes>>>);

impl CardStamps {
    const LIMIT: usize = 512;

    fn keep(&self, data: Bytes, pdf: Bytes) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if let Some(None) = map.get(&data) {
            map.remove(&data);
        } else if map.len() < Self::LIMIT {
            map.insert(data, Some(pdf));
        }
    }

    /// The card a kit left for `data`. When none is there, the kit still
    /// to come is told not to leave one.
    fn take(&self, data: &Bytes) -> Option<Bytes> {
        let mut map = self.0.lock().ok()?;
        match map.remove(data) {
            Some(pdf) => pdf,
            None => {
                if map.len() < Self::LIMIT {
                    map.insert(data.clone(), None);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(name: &str) -> (Bytes, Bytes) {
        (
            Bytes::new(name.as_bytes().to_vec()),
            Bytes::new(format!("%PDF {name}").into_bytes()),
        )
    }

    fn kept(stamps: &CardStamps) -> usize {
        stamps.0.lock().map(|m| m.len()).unwrap_or_default()
    }

    #[test]
    fn a_card_left_by_a_kit_goes_to_its_card_file_and_is_gone() {
        let stamps = CardStamps::default();
        let (data, pdf) = stamp("张甲");
        stamps.keep(data.clone(), pdf.clone());
        assert_eq!(stamps.take(&data), Some(pdf));
        assert_eq!(kept(&stamps), 0);
    }

    #[test]
    fn a_kit_done_after_its_card_file_leaves_nothing_behind() {
        let stamps = CardStamps::default();
        let (data, pdf) = stamp("李乙");
        // The card file found no card and typeset it itself ...
        assert_eq!(stamps.take(&data), None);
        assert_eq!(kept(&stamps), 1, "word for the kit still at work");
        // ... so the kit, done later, keeps nothing.
        stamps.keep(data, pdf);
        assert_eq!(kept(&stamps), 0);
    }

    #[test]
    fn no_more_than_the_limit_is_kept() {
        let stamps = CardStamps::default();
        for i in 0..CardStamps::LIMIT + 10 {
            let (data, pdf) = stamp(&format!("干部{i}"));
            stamps.keep(data, pdf);
        }
        assert_eq!(kept(&stamps), CardStamps::LIMIT);
        let (late, _) = stamp(&format!("干部{}", CardStamps::LIMIT + 5));
        assert_eq!(
            stamps.take(&late),
            None,
            "past the limit the card file typesets it"
        );
    }
}
