//! TIFF pages the `tiff` crate does not read, taken from their strips:
//! fax pages in CCITT G3 (modified Huffman, and T.4 one- or
//! two-dimensional), as fax machines and some scanners' "TIFF-F" write
//! them, and pages with a colour palette (TIFF's 3, "RGB Palette"), as
//! image tools write a page of few colours. LZW, Deflate and PackBits are
//! PDF's LZW, Flate and RunLength codings: the strips go through the same
//! filters as a PDF's page images, and fax strips through the same fax
//! decoder, each within the page's limits.

use std::io::{Read, Seek, SeekFrom};

use tiff::decoder::Decoder;
use tiff::tags::Tag;

use super::filters::{self, Filter, Parms};
use super::raster::{self, Fax, FaxCoding, Gray, Model, Samples, Unreadable};

/// TIFF's numbers for what matters here (TIFF 6.0).
const COMPRESSION_NONE: u32 = 1;
const COMPRESSION_MODIFIED_HUFFMAN: u32 = 2;
const COMPRESSION_T4: u32 = 3;
const COMPRESSION_T6: u32 = 4;
const COMPRESSION_LZW: u32 = 5;
const COMPRESSION_DEFLATE: u32 = 8;
const COMPRESSION_DEFLATE_OLD: u32 = 32946;
const COMPRESSION_PACKBITS: u32 = 32773;
const PHOTOMETRIC_BLACK_IS_ZERO: u32 = 1;
const PHOTOMETRIC_PALETTE: u32 = 3;
/// The tag of T.4 options (bit 0: two-dimensional; bit 2: EOLs end on a byte).
const T4_OPTIONS: u16 = 292;

/// Whether the current page of `decoder` is one read here rather than by
/// the `tiff` crate: a G3 fax page, or a palette page.
pub(crate) fn is_ours<R: Read + Seek>(decoder: &mut Decoder<R>) -> bool {
    let compression = number(decoder, Tag::Compression).unwrap_or(COMPRESSION_NONE);
    let photometric = number(decoder, Tag::PhotometricInterpretation).unwrap_or(0);
    matches!(compression, COMPRESSION_MODIFIED_HUFFMAN | COMPRESSION_T4)
        || photometric == PHOTOMETRIC_PALETTE
}

fn number<R: Read + Seek>(decoder: &mut Decoder<R>, tag: Tag) -> Option<u32> {
    decoder.find_tag_unsigned::<u32>(tag).ok().flatten()
}

fn fault(what: &str) -> Unreadable {
    format!("这一页读不出来，TIFF 文件已损坏（{what}）")
}

/// The current page of `decoder` (one `is_ours` took), in grey.
pub(crate) fn page<R: Read + Seek>(decoder: &mut Decoder<R>) -> Result<Gray, Unreadable> {
    let (width, height) = decoder
        .dimensions()
        .map_err(|e| format!("这一页读不出来，文件可能已损坏（{e}）"))?;
    raster::check_size(u64::from(width), u64::from(height))?;
    let (width, height) = (width as usize, height as usize);
    if decoder.find_tag(Tag::TileWidth).ok().flatten().is_some() {
        return Err(
            "这一页是分块存放的 TIFF，读不了；请把扫描仪设为黑白（G4 压缩）、灰度或彩色".into(),
        );
    }
    let compression = number(decoder, Tag::Compression).unwrap_or(COMPRESSION_NONE);
    let photometric = number(decoder, Tag::PhotometricInterpretation).unwrap_or(0);
    let bits = decoder
        .find_tag_unsigned_vec::<u32>(Tag::BitsPerSample)
        .ok()
        .flatten()
        .and_then(|v| v.first().copied())
        .unwrap_or(1) as usize;
    let samples = number(decoder, Tag::SamplesPerPixel).unwrap_or(1) as usize;
    let rows_per_strip =
        (number(decoder, Tag::RowsPerStrip).unwrap_or(u32::MAX) as usize).clamp(1, height);
    let offsets = decoder
        .find_tag_unsigned_vec::<u64>(Tag::StripOffsets)
        .ok()
        .flatten()
        .ok_or_else(|| fault("没有图像数据的位置"))?;
    let counts = decoder
        .find_tag_unsigned_vec::<u64>(Tag::StripByteCounts)
        .ok()
        .flatten()
        .ok_or_else(|| fault("没有图像数据的长度"))?;
    let strips = height.div_ceil(rows_per_strip);
    if offsets.len() < strips || counts.len() < strips {
        return Err(fault("图像数据的段数不够"));
    }
    let lsb_first = number(decoder, Tag::FillOrder) == Some(2);
    let predictor = number(decoder, Tag::Predictor).unwrap_or(1);
    let t4 = number(decoder, Tag::Unknown(T4_OPTIONS)).unwrap_or(0);
    let palette = if photometric == PHOTOMETRIC_PALETTE {
        Some(palette_greys(decoder, bits)?)
    } else {
        None
    };
    let row_bytes = (width * samples * bits).div_ceil(8);
    let fax_coding = match compression {
        COMPRESSION_MODIFIED_HUFFMAN => Some((FaxCoding::G3OneD, false, true)),
        COMPRESSION_T4 if t4 & 1 == 1 => Some((FaxCoding::G3TwoD(u32::MAX), true, t4 & 4 != 0)),
        COMPRESSION_T4 => Some((FaxCoding::G3OneD, true, t4 & 4 != 0)),
        COMPRESSION_T6 => Some((FaxCoding::G4, false, false)),
        _ => None,
    };
    let chain = match compression {
        COMPRESSION_NONE => Vec::new(),
        COMPRESSION_LZW | COMPRESSION_DEFLATE | COMPRESSION_DEFLATE_OLD => {
            let filter = if compression == COMPRESSION_LZW {
                Filter::Lzw
            } else {
                Filter::Flate
            };
            let parms = Parms::of(&[
                ("Predictor", i64::from(predictor)),
                ("Colors", samples as i64),
                ("BitsPerComponent", bits as i64),
                ("Columns", width as i64),
            ]);
            vec![(filter, parms)]
        }
        // PackBits is RunLength but for 128, which no writer puts in.
        COMPRESSION_PACKBITS => vec![(Filter::RunLength, Parms::default())],
        _ if fax_coding.is_some() => Vec::new(),
        other => {
            return Err(format!(
                "这一页的 TIFF 压缩方式（第 {other} 种）还读不了；请把扫描仪设为黑白（G4 压缩）、灰度或彩色"
            ));
        }
    };
    if fax_coding.is_some() && (bits != 1 || samples != 1) {
        return Err(fault("传真压缩的页面不是黑白的"));
    }
    let mut out = Vec::new();
    for strip in 0..strips {
        let rows = rows_per_strip.min(height - strip * rows_per_strip);
        // Fax coding may, for a page of fine halftone, take more than the
        // samples; never more than four times as much.
        let most = (row_bytes * rows * 4 + (1 << 16)) as u64;
        let mut data = read_strip(decoder.inner(), offsets[strip], counts[strip].min(most))?;
        if lsb_first {
            data.iter_mut().for_each(|b| *b = b.reverse_bits());
        }
        match fax_coding {
            Some((coding, end_of_line, byte_aligned)) => {
                let fax = Fax {
                    width,
                    rows,
                    coding,
                    end_of_line,
                    byte_aligned,
                };
                raster::fax_rows(&data, &fax, &mut out)?;
            }
            None => {
                let limit = (row_bytes * rows) as u64;
                let rows_data = filters::unfilter(data, &chain, limit)?.data;
                if rows_data.len() < row_bytes * rows {
                    return Err("页面图像的数据不完整，文件可能已损坏".into());
                }
                out.extend_from_slice(&rows_data);
            }
        }
    }
    match (fax_coding, palette) {
        // Fax runs are coded white and black, which are 0 and 1 unless
        // the page says 0 is black.
        (Some(_), _) => Ok(Gray {
            width,
            height,
            pixels: out,
        }
        .inverted_if(photometric == PHOTOMETRIC_BLACK_IS_ZERO)),
        (None, Some(greys)) => raster::from_samples(
            &out,
            Samples {
                width,
                height,
                model: Model::Palette(greys),
                channels: samples,
                bits,
                inverted: false,
            },
        ),
        (None, None) => Err(fault("颜色方式不明")),
    }
}

/// One strip's bytes as the file holds them, no more than `count`.
fn read_strip<R: Read + Seek>(
    file: &mut R,
    offset: u64,
    count: u64,
) -> Result<Vec<u8>, Unreadable> {
    file.seek(SeekFrom::Start(offset))
        .map_err(|_| fault("图像数据的位置超出了文件"))?;
    let mut data = Vec::new();
    file.take(count)
        .read_to_end(&mut data)
        .map_err(|e| fault(&e.to_string()))?;
    Ok(data)
}

/// The grey of each entry of a page's colour map (red, green and blue
/// tables one after the other, 16 bits a value).
fn palette_greys<R: Read + Seek>(
    decoder: &mut Decoder<R>,
    bits: usize,
) -> Result<Vec<u8>, Unreadable> {
    if bits > 8 {
        return Err(fault("调色板的位数不对"));
    }
    let map = decoder
        .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
        .ok()
        .flatten()
        .ok_or_else(|| "这一页是调色板图像，却没有调色板，文件可能已损坏".to_string())?;
    let entries = 1usize << bits;
    if map.len() < 3 * entries {
        return Err("这一页的调色板不完整，文件可能已损坏".into());
    }
    Ok((0..entries)
        .map(|i| {
            let at = |t: usize| (map[t * entries + i] >> 8) as u8;
            raster::luma(at(0), at(1), at(2))
        })
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bits written most significant first.
    #[derive(Default)]
    struct Bits(Vec<bool>);

    impl Bits {
        fn code(&mut self, code: fax::Bits) {
            self.0
                .extend((0..code.len).rev().map(|i| code.data >> i & 1 == 1));
        }

        fn pad_to_byte(&mut self) {
            while !self.0.len().is_multiple_of(8) {
                self.0.push(false);
            }
        }

        fn end_of_line(&mut self, fill: bool) {
            while fill && !(self.0.len() + 12).is_multiple_of(8) {
                self.0.push(false);
            }
            self.code(fax::Bits { data: 1, len: 12 });
        }

        fn bytes(mut self) -> Vec<u8> {
            self.pad_to_byte();
            self.0
                .chunks(8)
                .map(|b| b.iter().fold(0u8, |acc, &bit| acc << 1 | u8::from(bit)))
                .collect()
        }
    }

    /// How a test fax page is coded.
    #[derive(Clone, Copy)]
    pub(crate) struct G3 {
        /// An end-of-line code before each row (T.4), six after the last.
        pub(crate) eol: bool,
        /// After each end-of-line a tag bit (T.4 two-dimensional); every
        /// row here is tagged one-dimensional.
        pub(crate) two_d: bool,
        /// Fill bits before each end-of-line, so that it ends on a byte.
        pub(crate) fill: bool,
        /// Each row starting on a byte (modified Huffman, TIFF's 2).
        pub(crate) byte_rows: bool,
    }

    /// Group 3 codes of `rows` (true is black), one-dimensional.
    pub(crate) fn g3(rows: &[Vec<bool>], how: G3) -> Vec<u8> {
        let mut bits = Bits::default();
        for row in rows {
            if how.eol {
                bits.end_of_line(how.fill);
                if how.two_d {
                    bits.0.push(true);
                }
            }
            let mut black = false;
            let mut x = 0;
            while x < row.len() || (x == 0 && row.is_empty()) {
                let mut run = 0;
                while x + run < row.len() && row[x + run] == black {
                    run += 1;
                }
                let encode = |n: usize| {
                    let n = n as u16;
                    if black {
                        fax::maps::black::encode(n).unwrap()
                    } else {
                        fax::maps::white::encode(n).unwrap()
                    }
                };
                let mut left = run;
                while left >= 2560 {
                    bits.code(encode(2560));
                    left -= 2560;
                }
                if left >= 64 {
                    bits.code(encode(left / 64 * 64));
                }
                bits.code(encode(left % 64));
                x += run;
                black = !black;
            }
            if how.byte_rows {
                bits.pad_to_byte();
            }
        }
        if how.eol {
            for _ in 0..6 {
                bits.end_of_line(false);
                if how.two_d {
                    bits.0.push(true);
                }
            }
        }
        bits.bytes()
    }

    /// A little-endian TIFF of one page: `tags` as (tag, values), the
    /// strips after the header and the offsets and counts added here.
    pub(crate) fn tiff_file(tags: &[(u16, Vec<u32>)], strips: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"II*\0\0\0\0\0".to_vec();
        let mut offsets = Vec::new();
        for strip in strips {
            offsets.push(out.len() as u32);
            out.extend_from_slice(strip);
        }
        let mut tags = tags.to_vec();
        tags.push((273, offsets));
        tags.push((279, strips.iter().map(|s| s.len() as u32).collect()));
        tags.sort_by_key(|(tag, _)| *tag);
        // Values too long to sit in their entry go before the directory.
        let mut entries = Vec::new();
        for (tag, values) in &tags {
            let long = values.iter().any(|&v| v > 0xFFFF) || *tag == 273 || *tag == 279;
            let bytes: Vec<u8> = if long {
                values.iter().flat_map(|v| v.to_le_bytes()).collect()
            } else {
                values
                    .iter()
                    .flat_map(|&v| (v as u16).to_le_bytes())
                    .collect()
            };
            let field = if bytes.len() <= 4 {
                let mut inline = bytes.clone();
                inline.resize(4, 0);
                inline
            } else {
                if out.len() % 2 == 1 {
                    out.push(0);
                }
                let at = out.len() as u32;
                out.extend_from_slice(&bytes);
                at.to_le_bytes().to_vec()
            };
            entries.push((
                *tag,
                if long { 4u16 } else { 3 },
                values.len() as u32,
                field,
            ));
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let directory = out.len() as u32;
        out[4..8].copy_from_slice(&directory.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, count, field) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&field);
        }
        out.extend_from_slice(&[0; 4]);
        out
    }

    /// A 150 × 12 page of bars and a long black run (over 64: make-up codes).
    pub(crate) fn drawing() -> Vec<Vec<bool>> {
        (0..12)
            .map(|y| {
                (0..150)
                    .map(|x| (x * 7 + y * 13) % 23 < 5 || (y == 3 && (10..140).contains(&x)))
                    .collect()
            })
            .collect()
    }

    /// The grey pixels of a drawing: black 0, white 255.
    pub(crate) fn greys(rows: &[Vec<bool>]) -> Vec<u8> {
        rows.iter()
            .flatten()
            .map(|&black| if black { 0 } else { 255 })
            .collect()
    }

    fn read(bytes: &[u8]) -> Vec<Result<Gray, Unreadable>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("传真.tif");
        std::fs::write(&path, bytes).unwrap();
        let mut out = Vec::new();
        super::super::source::pages(&path, &mut |raw| out.push(raw.encoded.decode())).unwrap();
        out
    }

    /// The tags of a one-bit page 150 pixels wide.
    fn fax_tags(
        compression: u32,
        photometric: u32,
        height: u32,
        rows_per_strip: u32,
    ) -> Vec<(u16, Vec<u32>)> {
        vec![
            (256, vec![150]),
            (257, vec![height]),
            (258, vec![1]),
            (259, vec![compression]),
            (262, vec![photometric]),
            (277, vec![1]),
            (278, vec![rows_per_strip]),
        ]
    }

    /// A test TIFF: its name, tags, strips, and whether 0 is black.
    type Case = (&'static str, Vec<(u16, Vec<u32>)>, Vec<Vec<u8>>, bool);

    #[test]
    fn fax_tiffs_in_each_g3_coding_come_out_as_drawn() {
        let rows = drawing();
        let plain = G3 {
            eol: false,
            two_d: false,
            fill: false,
            byte_rows: false,
        };
        // Modified Huffman (TIFF's 2): rows on bytes, no end-of-line codes.
        let mh = G3 {
            byte_rows: true,
            ..plain
        };
        let t4 = G3 { eol: true, ..plain };
        let cases: Vec<Case> = vec![
            (
                "modified Huffman",
                fax_tags(2, 0, 12, 12),
                vec![g3(&rows, mh)],
                false,
            ),
            (
                "T.4 1-D",
                fax_tags(3, 0, 12, 12),
                vec![g3(&rows, t4)],
                false,
            ),
            (
                "T.4 1-D, fill bits, two strips, least significant bit first",
                [fax_tags(3, 0, 12, 7), vec![(266, vec![2]), (292, vec![4])]].concat(),
                [&rows[..7], &rows[7..]]
                    .iter()
                    .map(|part| {
                        let fill = G3 { fill: true, ..t4 };
                        g3(part, fill).iter().map(|b| b.reverse_bits()).collect()
                    })
                    .collect(),
                false,
            ),
            (
                "T.4 2-D",
                [fax_tags(3, 0, 12, 12), vec![(292, vec![1])]].concat(),
                vec![g3(&rows, G3 { two_d: true, ..t4 })],
                false,
            ),
            (
                "0 is black",
                fax_tags(3, 1, 12, 12),
                vec![g3(&rows, t4)],
                true,
            ),
        ];
        for (name, tags, strips, inverted) in cases {
            let pages = read(&tiff_file(&tags, &strips));
            assert_eq!(pages.len(), 1, "{name}");
            let page = pages[0].as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((page.width, page.height), (150, 12), "{name}");
            let mut expected = greys(&rows);
            if inverted {
                expected.iter_mut().for_each(|p| *p = 255 - *p);
            }
            assert!(page.pixels == expected, "{name}: pixels differ");
        }
    }

    #[test]
    fn a_fax_page_cut_short_is_refused_not_read_blank() {
        let rows: Vec<Vec<bool>> = (0..40).map(|_| drawing()[3].clone()).collect();
        let t4 = G3 {
            eol: true,
            two_d: false,
            fill: false,
            byte_rows: false,
        };
        let whole = g3(&rows, t4);
        let tags = fax_tags(3, 0, 40, 40);
        let pages = read(&tiff_file(&tags, &[whole[..whole.len() / 3].to_vec()]));
        assert_eq!(
            pages[0].as_ref().err().map(String::as_str),
            Some("黑白（传真）压缩的页面图像读不出来，文件可能已损坏")
        );
    }

    #[test]
    fn palette_tiffs_come_out_grey() {
        // Entries: black, white, pure red, pure blue (16 bits a value).
        let colours: [(u16, u16, u16); 4] = [
            (0, 0, 0),
            (65535, 65535, 65535),
            (65535, 0, 0),
            (0, 0, 65535),
        ];
        let (w, h) = (9u32, 3u32);
        let index = |x: u32, y: u32| (x + y) % 4;
        let expected: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| index(x, y)))
            .map(|i| match i {
                0 => 0,
                1 => 255,
                2 => raster::luma(255, 0, 0),
                _ => raster::luma(0, 0, 255),
            })
            .collect();
        for bits in [4u32, 8] {
            let entries = 1usize << bits;
            let mut map = vec![0u32; 3 * entries];
            for (i, &(r, g, b)) in colours.iter().enumerate() {
                map[i] = u32::from(r);
                map[entries + i] = u32::from(g);
                map[2 * entries + i] = u32::from(b);
            }
            let row_bytes = (w * bits).div_ceil(8) as usize;
            let mut samples = vec![0u8; row_bytes * h as usize];
            for y in 0..h {
                for x in 0..w {
                    let bit = (x * bits) as usize;
                    let at = y as usize * row_bytes + bit / 8;
                    samples[at] |= (index(x, y) as u8) << (8 - bits as usize - bit % 8);
                }
            }
            // 4 bits in PackBits (one literal run a row), 8 bits in LZW.
            let (compression, data) = if bits == 4 {
                let packed = samples
                    .chunks(row_bytes)
                    .flat_map(|row| [vec![row.len() as u8 - 1], row.to_vec()].concat())
                    .collect();
                (32773, packed)
            } else {
                let lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
                    .encode(&samples)
                    .unwrap();
                (5, lzw)
            };
            let tags = vec![
                (256, vec![w]),
                (257, vec![h]),
                (258, vec![bits]),
                (259, vec![compression]),
                (262, vec![3]),
                (277, vec![1]),
                (278, vec![h]),
                (320, map),
            ];
            let pages = read(&tiff_file(&tags, &[data]));
            let page = pages[0]
                .as_ref()
                .unwrap_or_else(|e| panic!("{bits} bits: {e}"));
            assert_eq!(page.pixels, expected, "{bits} bits");
        }
    }
}
