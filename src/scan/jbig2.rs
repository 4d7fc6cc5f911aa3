//! JBIG2 page images (PDF `JBIG2Decode`), as copiers write their "high
//! compression" PDFs: the page's black and white as generic regions
//! (arithmetic or MMR coded, refined or not), decoded by `hayro-jbig2`.
//!
//! Memory is what a file claims before anything is decoded: every
//! segment is looked at first (ITU-T T.88 §7.2), and the page and each
//! region must fit the page limits. Symbol dictionaries, text regions and
//! halftones are refused: the size of a symbol is known only by decoding
//! it, so a damaged dictionary could claim thousands of page-sized
//! symbols — and a symbol put in place of a look-alike changes what a page
//! says (the copiers that did so printed wrong digits).

use super::raster::{self, BoundedRows, Gray, MAX_PIXELS, Unreadable};

/// Segment types (T.88 §7.3).
const PAGE_INFORMATION: u8 = 48;
const GENERIC_REGIONS: [u8; 3] = [36, 38, 39];
const REFINEMENT_REGIONS: [u8; 3] = [40, 42, 43];
/// End of page, end of stripe, end of file, profiles, tables, extension.
const HARMLESS: [u8; 6] = [49, 50, 51, 52, 53, 62];

fn damaged() -> Unreadable {
    "这一页图像（JBIG2 压缩）已损坏，读不出来".into()
}

/// One segment's type and data.
struct Segment<'a> {
    kind: u8,
    data: &'a [u8],
}

/// Reads big-endian numbers from a slice, `None` past its end.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// The segments of an embedded stream (or its globals), in order.
fn segments(data: &[u8]) -> Result<Vec<Segment<'_>>, Unreadable> {
    let mut bytes = Bytes { data, at: 0 };
    let mut out = Vec::new();
    while bytes.at < data.len() {
        let number = bytes.u32().ok_or_else(damaged)?;
        let flags = bytes.u8().ok_or_else(damaged)?;
        let kind = flags & 0x3F;
        let first = bytes.u8().ok_or_else(damaged)?;
        let referred = match first >> 5 {
            7 => {
                bytes.at -= 1;
                let count = (bytes.u32().ok_or_else(damaged)? & 0x1FFF_FFFF) as usize;
                bytes.take((count + 1).div_ceil(8)).ok_or_else(damaged)?;
                count
            }
            n @ 0..=4 => usize::from(n),
            _ => return Err(damaged()),
        };
        let number_size = match number {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        };
        bytes
            .take(referred.checked_mul(number_size).ok_or_else(damaged)?)
            .ok_or_else(damaged)?;
        bytes
            .take(if flags & 0x40 != 0 { 4 } else { 1 })
            .ok_or_else(damaged)?;
        let length = bytes.u32().ok_or_else(damaged)?;
        let segment = if length == u32::MAX {
            // An immediate generic region of unknown length ends with a
            // marker and its row count (T.88 §7.2.7).
            if !GENERIC_REGIONS.contains(&kind) {
                return Err(damaged());
            }
            let rest = &data[bytes.at..];
            let mmr = rest.get(17).ok_or_else(damaged)? & 1 == 1;
            let marker: [u8; 2] = if mmr { [0x00, 0x00] } else { [0xFF, 0xAC] };
            let end = rest
                .windows(2)
                .skip(18)
                .position(|w| w == marker)
                .map(|p| p + 18 + 2 + 4)
                .ok_or_else(damaged)?;
            bytes.take(end).ok_or_else(damaged)?
        } else {
            bytes.take(length as usize).ok_or_else(damaged)?
        };
        out.push(Segment {
            kind,
            data: segment,
        });
        if kind == 51 {
            break;
        }
    }
    Ok(out)
}

/// Checks every segment before decoding: only the kinds read here, and
/// the page and each region within the page limits.
fn check(segments: &[Segment<'_>]) -> Result<(), Unreadable> {
    let within = |data: &[u8]| -> Result<(), Unreadable> {
        let mut bytes = Bytes { data, at: 0 };
        let (Some(width), Some(height)) = (bytes.u32(), bytes.u32()) else {
            return Err(damaged());
        };
        // A striped page of unknown height: its stripes are regions.
        let height = if height == u32::MAX { 1 } else { height };
        raster::check_size(u64::from(width), u64::from(height))
    };
    for segment in segments {
        match segment.kind {
            PAGE_INFORMATION => within(segment.data)?,
            k if GENERIC_REGIONS.contains(&k) || REFINEMENT_REGIONS.contains(&k) => {
                within(segment.data)?
            }
            k if HARMLESS.contains(&k) => {}
            _ => {
                return Err("这一页图像用了 JBIG2 的“符号”压缩（复印机的“高压缩”或“文字优化”），读不了；请把复印机设为普通 PDF（JPEG 或黑白 G4）后重扫".into());
            }
        }
    }
    Ok(())
}

impl hayro_jbig2::Decoder for BoundedRows<'_> {
    fn push_pixel(&mut self, black: bool) {
        self.push(black, 1);
    }

    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        self.push(black, chunk_count as usize * 8);
    }

    fn next_line(&mut self) {
        self.end_row();
    }
}

/// A PDF's JBIG2 page image (its stream, and the `/JBIG2Globals` stream
/// when there is one), in grey: black 0 as the PDF filter gives it.
pub(crate) fn decode(data: &[u8], globals: Option<&[u8]>) -> Result<Gray, Unreadable> {
    let mut all = match globals {
        Some(g) => segments(g)?,
        None => Vec::new(),
    };
    all.extend(segments(data)?);
    check(&all)?;
    let image = hayro_jbig2::Image::new_embedded(data, globals).map_err(|_| damaged())?;
    let (width, height) = (image.width() as usize, image.height() as usize);
    raster::check_size(width as u64, height as u64)?;
    debug_assert!((width * height) as u64 <= MAX_PIXELS);
    let mut pixels = Vec::new();
    image
        .decode(&mut BoundedRows::new(&mut pixels, width, height))
        .map_err(|_| damaged())?;
    if pixels.len() < width * height {
        return Err(damaged());
    }
    Ok(Gray {
        width,
        height,
        pixels,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A segment header and data: number, type, page 1, no referred segments.
    fn segment(number: u32, kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = number.to_be_bytes().to_vec();
        out.extend_from_slice(&[kind, 0, 1]);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    /// An embedded JBIG2 stream of one page `width` × `height`: one
    /// immediate lossless generic region coded MMR (`mmr`: T.6 bytes,
    /// black runs 1).
    pub(crate) fn embedded(width: u32, height: u32, mmr: &[u8]) -> Vec<u8> {
        let mut page = Vec::new();
        page.extend_from_slice(&width.to_be_bytes());
        page.extend_from_slice(&height.to_be_bytes());
        page.extend_from_slice(&[0; 8]);
        page.extend_from_slice(&[0, 0, 0]);
        let mut region = Vec::new();
        region.extend_from_slice(&width.to_be_bytes());
        region.extend_from_slice(&height.to_be_bytes());
        region.extend_from_slice(&[0; 8]);
        region.extend_from_slice(&[0, 1]);
        region.extend_from_slice(mmr);
        [segment(0, 48, &page), segment(1, 39, &region)].concat()
    }

    pub(crate) fn mmr(rows: &[Vec<bool>]) -> Vec<u8> {
        let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
        for row in rows {
            encoder
                .encode_line(
                    row.iter().map(|&black| {
                        if black {
                            fax::Color::Black
                        } else {
                            fax::Color::White
                        }
                    }),
                    row.len() as u16,
                )
                .unwrap();
        }
        encoder.finish().unwrap().finish()
    }

    #[test]
    fn an_mmr_generic_region_comes_out_as_drawn() {
        let rows = crate::scan::strips::tests::drawing();
        let page = decode(&embedded(150, 12, &mmr(&rows)), None).unwrap();
        let expected = crate::scan::strips::tests::greys(&rows);
        assert!(page.pixels == expected);
    }

    fn why(decoded: Result<Gray, Unreadable>) -> Unreadable {
        match decoded {
            Ok(_) => panic!("decoded"),
            Err(why) => why,
        }
    }

    #[test]
    fn claims_beyond_the_page_limits_and_symbols_are_refused_before_decoding() {
        let rows = crate::scan::strips::tests::drawing();
        let giant = embedded(100_000, 100_000, &mmr(&rows));
        assert!(why(decode(&giant, None)).contains("100000 × 100000"));
        // A symbol dictionary (type 0) in the globals.
        let symbols = segment(5, 0, &[0; 30]);
        let refused = why(decode(&embedded(150, 12, &mmr(&rows)), Some(&symbols)));
        assert!(refused.contains("“符号”压缩"), "{refused}");
        // Cut short in the region's segment header.
        let whole = embedded(150, 12, &mmr(&rows));
        assert_eq!(why(decode(&whole[..35], None)), damaged());
    }
}
