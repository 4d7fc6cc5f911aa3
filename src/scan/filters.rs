//! The byte filters of PDF streams (ISO 32000-1 §7.4): what a scanner, a
//! PDF printer or a packing tool may put between a page image and the
//! file — Flate and LZW with their predictors, run-length, and the two
//! ASCII encodings — undone within a fixed number of bytes. The image
//! codecs (DCT, CCITT fax, JPEG 2000, JBIG2) end the chain: what is left for
//! them is handed on as it is.

use std::io::Read;

use lopdf::{Dictionary, Object};

use super::raster::{Fax, FaxCoding};

/// Why a stream could not be undone: in words for the clerk.
type Why = String;

fn damaged() -> Why {
    "这一页图像的压缩数据已损坏".into()
}

/// One filter of a stream's `/Filter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    AsciiHex,
    Ascii85,
    Lzw,
    Flate,
    RunLength,
    Dct,
    Ccitt,
    Jpx,
    Jbig2,
    Crypt,
    Other(String),
}

impl Filter {
    pub(crate) fn named(name: &[u8]) -> Filter {
        match name {
            b"ASCIIHexDecode" | b"AHx" => Filter::AsciiHex,
            b"ASCII85Decode" | b"A85" => Filter::Ascii85,
            b"LZWDecode" | b"LZW" => Filter::Lzw,
            b"FlateDecode" | b"Fl" => Filter::Flate,
            b"RunLengthDecode" | b"RL" => Filter::RunLength,
            b"DCTDecode" | b"DCT" => Filter::Dct,
            b"CCITTFaxDecode" | b"CCF" => Filter::Ccitt,
            b"JPXDecode" => Filter::Jpx,
            b"JBIG2Decode" => Filter::Jbig2,
            b"Crypt" => Filter::Crypt,
            other => Filter::Other(String::from_utf8_lossy(other).into_owned()),
        }
    }

    /// Whether the filter makes an image of its bytes (and so ends a chain).
    pub(crate) fn is_image(&self) -> bool {
        !self.is_bytes()
    }

    /// The filter as a PDF names it, for a clerk to pass on.
    pub(crate) fn shown(&self) -> String {
        match self {
            Filter::AsciiHex => "ASCIIHex".into(),
            Filter::Ascii85 => "ASCII85".into(),
            Filter::Lzw => "LZW".into(),
            Filter::Flate => "Flate".into(),
            Filter::RunLength => "RunLength".into(),
            Filter::Dct => "JPEG".into(),
            Filter::Ccitt => "CCITT".into(),
            Filter::Jpx => "JPEG 2000".into(),
            Filter::Jbig2 => "JBIG2".into(),
            Filter::Crypt => "加密".into(),
            Filter::Other(name) => name.clone(),
        }
    }

    /// Whether the filter turns bytes into bytes (and not into an image).
    fn is_bytes(&self) -> bool {
        matches!(
            self,
            Filter::AsciiHex | Filter::Ascii85 | Filter::Lzw | Filter::Flate | Filter::RunLength
        )
    }
}

/// A filter's `/DecodeParms`, as far as they matter here.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parms {
    dict: Dictionary,
}

impl Parms {
    pub(crate) fn new(dict: Option<Dictionary>) -> Parms {
        Parms {
            dict: dict.unwrap_or_default(),
        }
    }

    /// An integer parameter (written directly, as every writer does).
    /// Parameters given as name and number, as a TIFF's tags translate.
    pub(crate) fn of(pairs: &[(&str, i64)]) -> Parms {
        Parms {
            dict: pairs
                .iter()
                .map(|&(k, v)| (k.as_bytes().to_vec(), Object::Integer(v)))
                .collect(),
        }
    }

    /// A parameter as written (a reference left unresolved).
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Object> {
        self.dict.get(key).ok()
    }

    pub(crate) fn int(&self, key: &[u8]) -> Option<i64> {
        self.dict.get(key).ok()?.as_i64().ok()
    }

    pub(crate) fn flag(&self, key: &[u8]) -> Option<bool> {
        match self.dict.get(key).ok()? {
            Object::Boolean(b) => Some(*b),
            other => other.as_i64().ok().map(|v| v != 0),
        }
    }
}

/// A stream's filters, each with its parameters, from the already resolved
/// `/Filter` and `/DecodeParms` values.
pub(crate) fn chain(filter: Option<&Object>, parms: Option<&Object>) -> Vec<(Filter, Parms)> {
    let names: Vec<&[u8]> = match filter {
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a.iter().filter_map(|o| o.as_name().ok()).collect(),
        _ => Vec::new(),
    };
    let parms_at = |i: usize| -> Option<Dictionary> {
        match parms? {
            Object::Dictionary(d) if i == 0 => Some(d.clone()),
            Object::Array(a) => a.get(i)?.as_dict().ok().cloned(),
            _ => None,
        }
    };
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (Filter::named(n), Parms::new(parms_at(i))))
        .collect()
}

/// What is left after the byte filters: the bytes, and the image codec
/// that must read them (none for plain samples).
pub(crate) struct Unfiltered {
    pub(crate) data: Vec<u8>,
    pub(crate) codec: Option<(Filter, Parms)>,
}

/// Undoes the byte filters of `chain` in order, never producing more than
/// `limit` bytes from any of them; stops at the first image codec, which
/// must be the last filter.
pub(crate) fn unfilter(
    mut data: Vec<u8>,
    chain: &[(Filter, Parms)],
    limit: u64,
) -> Result<Unfiltered, Why> {
    for (i, (filter, parms)) in chain.iter().enumerate() {
        if !filter.is_bytes() {
            if i + 1 != chain.len() {
                return Err(damaged());
            }
            return Ok(Unfiltered {
                data,
                codec: Some((filter.clone(), parms.clone())),
            });
        }
        data = match filter {
            Filter::AsciiHex => ascii_hex(&data, limit),
            Filter::Ascii85 => ascii85(&data, limit).ok_or_else(damaged)?,
            Filter::RunLength => run_length(&data, limit),
            Filter::Flate => predicted(inflate(&data, limit).ok_or_else(damaged)?, parms)?,
            Filter::Lzw => predicted(lzw(&data, parms, limit).ok_or_else(damaged)?, parms)?,
            _ => unreachable!("only byte filters come here"),
        };
    }
    Ok(Unfiltered { data, codec: None })
}

/// How a `CCITTFaxDecode` stream of an image `width` by `height` pixels
/// is coded: `/K` below 0 is group 4, 0 group 3 one-dimensional, above 0
/// group 3 two-dimensional. The image's own size is taken over `/Columns`
/// and `/Rows` (which must agree with it).
pub(crate) fn fax_of(parms: &Parms, width: usize, height: usize) -> Fax {
    let k = parms.int(b"K").unwrap_or(0);
    Fax {
        width,
        rows: height,
        coding: match k {
            ..0 => FaxCoding::G4,
            0 => FaxCoding::G3OneD,
            k => FaxCoding::G3TwoD(u32::try_from(k).unwrap_or(u32::MAX)),
        },
        end_of_line: parms.flag(b"EndOfLine").unwrap_or(false),
        byte_aligned: parms.flag(b"EncodedByteAlign").unwrap_or(false),
    }
}

/// Flate data inflated, no further than `limit` bytes.
pub(crate) fn inflate(data: &[u8], limit: u64) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity((limit as usize).min(data.len() * 4).min(1 << 26));
    let read = flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out);
    // A stream cut short still gives the rows it holds.
    (read.is_ok() || !out.is_empty()).then_some(out)
}

/// LZW data (TIFF's and PDF's variant: codes from 9 bits, most significant
/// bit first; `/EarlyChange 1`, the default, widens a code one early).
fn lzw(data: &[u8], parms: &Parms, limit: u64) -> Option<Vec<u8>> {
    let mut decoder = if parms.int(b"EarlyChange").unwrap_or(1) == 0 {
        weezl::decode::Decoder::new(weezl::BitOrder::Msb, 8)
    } else {
        weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
    };
    let limit = limit as usize;
    let mut out = Vec::with_capacity(limit.min(data.len() * 4).min(1 << 26));
    let mut buffer = vec![0u8; 1 << 16];
    let mut input = data;
    while out.len() < limit {
        let result = decoder.decode_bytes(input, &mut buffer);
        input = &input[result.consumed_in..];
        out.extend_from_slice(&buffer[..result.consumed_out.min(limit - out.len())]);
        match result.status {
            Ok(weezl::LzwStatus::Ok) if result.consumed_in + result.consumed_out > 0 => {}
            Ok(_) => break,
            // A stream cut short still gives the rows it holds.
            Err(_) => return (!out.is_empty()).then_some(out),
        }
    }
    Some(out)
}

/// Hexadecimal digits, white space ignored, `>` ending the data.
fn ascii_hex(data: &[u8], limit: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((data.len() / 2).min(limit as usize));
    let mut high: Option<u8> = None;
    for &c in data {
        if c == b'>' || out.len() as u64 >= limit {
            break;
        }
        let Some(v) = (c as char).to_digit(16) else {
            continue;
        };
        match high.take() {
            Some(h) => out.push(h << 4 | v as u8),
            None => high = Some(v as u8),
        }
    }
    if let Some(h) = high
        && (out.len() as u64) < limit
    {
        out.push(h << 4);
    }
    out
}

/// Base-85 groups (`z` for four zeros), white space ignored, `~>` ending
/// the data.
fn ascii85(data: &[u8], limit: u64) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity((data.len() / 5 * 4).min(limit as usize));
    let mut group = [0u8; 5];
    let mut n = 0;
    let push = |group: &[u8; 5], n: usize, out: &mut Vec<u8>| -> Option<()> {
        let mut padded = *group;
        padded[n..].fill(b'u' - b'!');
        let value = padded
            .iter()
            .try_fold(0u32, |v, &d| v.checked_mul(85)?.checked_add(u32::from(d)))?;
        out.extend_from_slice(&value.to_be_bytes()[..n - 1]);
        Some(())
    };
    for &c in data {
        if out.len() as u64 >= limit {
            break;
        }
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    push(&group, 5, &mut out)?;
                    n = 0;
                }
            }
            c if c.is_ascii_whitespace() => {}
            _ => return None,
        }
    }
    if n == 1 {
        return None;
    }
    if n > 1 {
        push(&group, n, &mut out)?;
    }
    out.truncate(limit as usize);
    Some(out)
}

/// PackBits-style runs: a length byte, then that many bytes plus one, or
/// one byte repeated 257 minus the length times; 128 ends the data.
fn run_length(data: &[u8], limit: u64) -> Vec<u8> {
    let limit = limit as usize;
    let mut out = Vec::with_capacity((data.len() * 2).min(limit));
    let mut i = 0;
    while i < data.len() && out.len() < limit {
        let length = data[i] as usize;
        i += 1;
        match length {
            0..=127 => {
                let end = (i + length + 1).min(data.len());
                out.extend_from_slice(&data[i..end]);
                i = end;
            }
            128 => break,
            _ => {
                let Some(&b) = data.get(i) else { break };
                let times = (257 - length).min(limit - out.len());
                out.resize(out.len() + times, b);
                i += 1;
            }
        }
    }
    out.truncate(limit);
    out
}

/// Flate or LZW output with its predictor undone.
fn predicted(data: Vec<u8>, parms: &Parms) -> Result<Vec<u8>, Why> {
    let predictor = parms.int(b"Predictor").unwrap_or(1);
    if predictor <= 1 {
        return Ok(data);
    }
    let small = |key: &[u8], default: i64, most: i64| -> Result<usize, Why> {
        let v = parms.int(key).unwrap_or(default);
        if (1..=most).contains(&v) {
            Ok(v as usize)
        } else {
            Err(damaged())
        }
    };
    let colours = small(b"Colors", 1, 32)?;
    let bits = small(b"BitsPerComponent", 8, 16)?;
    let columns = small(b"Columns", 1, 1 << 20)?;
    let pixel_bits = colours * bits;
    let row = (columns * pixel_bits).div_ceil(8);
    match predictor {
        2 => Ok(tiff_unpredict(data, row, colours, bits)),
        10.. => unpredict(&data, row, pixel_bits.div_ceil(8)).ok_or_else(damaged),
        _ => Err(damaged()),
    }
}

/// Rows filtered as PNG does (a filter byte before each row of `row`
/// bytes, `bpp` bytes a pixel), unfiltered.
pub(crate) fn unpredict(data: &[u8], row: usize, bpp: usize) -> Option<Vec<u8>> {
    let bpp = bpp.max(1);
    if row == 0 {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(data.len() / (row + 1) * row);
    let mut previous = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let (&filter, bytes) = chunk.split_first()?;
        let mut current = bytes.to_vec();
        current.resize(row, 0);
        for i in 0..row {
            let left = if i >= bpp { current[i - bpp] } else { 0 };
            let up = previous[i];
            let up_left = if i >= bpp { previous[i - bpp] } else { 0 };
            let add = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return None,
            };
            current[i] = current[i].wrapping_add(add);
        }
        out.extend_from_slice(&current);
        previous = current;
    }
    Some(out)
}

/// PNG's Paeth predictor.
pub(crate) fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// TIFF's horizontal differencing (predictor 2) undone: each sample is the
/// difference from the same colour's sample to its left.
fn tiff_unpredict(mut data: Vec<u8>, row: usize, colours: usize, bits: usize) -> Vec<u8> {
    if row == 0 {
        return data;
    }
    for line in data.chunks_mut(row) {
        match bits {
            8 => {
                for i in colours..line.len() {
                    line[i] = line[i].wrapping_add(line[i - colours]);
                }
            }
            16 => {
                for i in (2 * colours..line.len().saturating_sub(1)).step_by(2) {
                    let left =
                        u16::from_be_bytes([line[i - 2 * colours], line[i - 2 * colours + 1]]);
                    let own = u16::from_be_bytes([line[i], line[i + 1]]);
                    line[i..i + 2].copy_from_slice(&own.wrapping_add(left).to_be_bytes());
                }
            }
            1 | 2 | 4 => {
                let samples = line.len() * 8 / bits;
                let mask = (1u16 << bits) - 1;
                let at = |line: &[u8], s: usize| -> u16 {
                    let bit = s * bits;
                    (u16::from(line[bit / 8]) >> (8 - bits - bit % 8)) & mask
                };
                for s in colours..samples {
                    let value = (at(line, s) + at(line, s - colours)) & mask;
                    let bit = s * bits;
                    let shift = 8 - bits - bit % 8;
                    line[bit / 8] =
                        (line[bit / 8] & !((mask as u8) << shift)) | (value as u8) << shift;
                }
            }
            _ => {}
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_through(chain: &[(Filter, Parms)], data: &[u8]) -> Vec<u8> {
        let out = unfilter(data.to_vec(), chain, 1 << 20).unwrap();
        assert!(out.codec.is_none());
        out.data
    }

    #[test]
    fn the_ascii_encodings_are_undone() {
        let hex = [(Filter::AsciiHex, Parms::default())];
        assert_eq!(bytes_through(&hex, b"48 65\n6c6C 6f7>"), b"Hellop");
        // Base 85 with white space, z for four zeros, and a final partial group.
        let a85 = [(Filter::Ascii85, Parms::default())];
        assert_eq!(
            bytes_through(&a85, b"9jqo^BlbD-\nz~>"),
            b"Man is d\0\0\0\0".to_vec()
        );
        assert_eq!(bytes_through(&a85, b"9jqo~>"), b"Man");
        assert!(unfilter(b"9jqo\x01".to_vec(), &a85, 100).is_err());
    }

    #[test]
    fn run_lengths_are_undone_within_the_limit() {
        let rl = [(Filter::RunLength, Parms::default())];
        // 3 literal bytes, then 'x' 4 times (257 - 253), then the end.
        assert_eq!(
            bytes_through(&rl, &[2, b'a', b'b', b'c', 253, b'x', 128, 9]),
            b"abcxxxx"
        );
        // A run claiming more than the limit stops at it.
        let out = unfilter(vec![129, 0, 129, 0, 129, 0], &rl, 300).unwrap();
        assert_eq!(out.data.len(), 300);
    }

    #[test]
    fn lzw_with_early_change_and_a_tiff_predictor_gives_the_rows_back() {
        // Two rows of 4 grey samples, differenced as TIFF's predictor 2 does.
        let rows: [[u8; 4]; 2] = [[10, 20, 25, 255], [0, 0, 128, 129]];
        let mut differenced = Vec::new();
        for row in rows {
            differenced.push(row[0]);
            for i in 1..4 {
                differenced.push(row[i].wrapping_sub(row[i - 1]));
            }
        }
        let encoded = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&differenced)
            .unwrap();
        let chain = [(Filter::Lzw, Parms::of(&[("Predictor", 2), ("Columns", 4)]))];
        assert_eq!(bytes_through(&chain, &encoded), rows.concat());
        // Without early change, as some writers say with /EarlyChange 0.
        let late = weezl::encode::Encoder::new(weezl::BitOrder::Msb, 8)
            .encode(&rows.concat())
            .unwrap();
        let chain = [(Filter::Lzw, Parms::of(&[("EarlyChange", 0)]))];
        assert_eq!(bytes_through(&chain, &late), rows.concat());
    }

    #[test]
    fn a_one_bit_tiff_predictor_adds_modulo_two() {
        // 16 pixels: differences 1000 0000 0000 0001 -> 1111 1111 1111 1110.
        let out = tiff_unpredict(vec![0b1000_0000, 0b0000_0001], 2, 1, 1);
        assert_eq!(out, vec![0xFF, 0xFE]);
    }

    #[test]
    fn an_image_codec_ends_the_chain_and_must_be_last() {
        let hex_then_dct = chain(
            Some(&Object::Array(vec![
                Object::Name(b"AHx".to_vec()),
                Object::Name(b"DCTDecode".to_vec()),
            ])),
            None,
        );
        let out = unfilter(b"FFD8>".to_vec(), &hex_then_dct, 100).unwrap();
        assert_eq!(out.data, vec![0xFF, 0xD8]);
        assert_eq!(out.codec.map(|c| c.0), Some(Filter::Dct));
        let dct_then_hex: Vec<_> = hex_then_dct.into_iter().rev().collect();
        assert!(unfilter(b"FFD8>".to_vec(), &dct_then_hex, 100).is_err());
    }
}
