//! The guard for `.xls` and WPS `.et` files (OLE containers of BIFF
//! records): before calamine reads one, its sheets' claimed sizes and cell
//! positions are checked against what the file really holds (`claims`).
//! calamine reserves room for every cell a sheet's DIMENSIONS record claims,
//! and lays the cells it finds out as a full grid from the first to the last
//! row and column any of them names: an 11 kB copy of a workbook with a few
//! bytes changed asked for 17 GB.

use std::io::{Cursor, Read};

use super::claims::{Oversized, within};

/// Checks the workbook stream of an OLE container. `Ok(())` when every
/// sheet is within bounds, or when the file is not one this scan reads (the
/// reader then says what is wrong with it).
pub(super) fn check(bytes: &[u8]) -> Result<(), Oversized> {
    let Some(stream) = workbook_stream(bytes) else {
        return Ok(());
    };
    // Substreams in order: the workbook's globals (which list the sheets'
    // names), then each sheet.
    let mut names: Vec<String> = Vec::new();
    let mut substream = 0usize;
    let mut bounds = Bounds::default();
    let mut depth = 0usize;
    let name = |names: &[String], substream: usize| {
        names
            .get(substream.wrapping_sub(2))
            .cloned()
            .unwrap_or_else(|| format!("第{}个工作表", substream.saturating_sub(1)))
    };
    for (typ, data) in records(&stream) {
        match typ {
            // BOF: the globals, a sheet, or a chart inside a sheet.
            0x0809 => {
                depth += 1;
                if depth == 1 {
                    substream += 1;
                    bounds = Bounds::default();
                }
            }
            // EOF
            0x000A => {
                if depth == 1 {
                    bounds.check(|| name(&names, substream))?;
                }
                depth = depth.saturating_sub(1);
            }
            // BOUNDSHEET: a sheet's name, in the globals.
            0x0085 if substream == 1 => names.push(sheet_name(data)),
            // DIMENSIONS: the sheet's claimed used range (BIFF8: u32 rows, u16 columns).
            0x0200 if depth == 1 && data.len() >= 12 => {
                let first_row = u64::from(u32_at(data, 0));
                let last_row = u64::from(u32_at(data, 4));
                let first_col = u64::from(u16_at(data, 8));
                let last_col = u64::from(u16_at(data, 10));
                bounds.claimed = last_row
                    .saturating_sub(first_row)
                    .saturating_add(1)
                    .saturating_mul(last_col.saturating_sub(first_col).saturating_add(1));
            }
            // Cell records: row and column first.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 | 0x0201
                if depth == 1 && data.len() >= 4 =>
            {
                bounds.cell(u16_at(data, 0), u16_at(data, 2));
            }
            // MULRK / MULBLANK: a row, a first column, then one entry per
            // cell, then the last column.
            0x00BD | 0x00BE if depth == 1 && data.len() >= 6 => {
                let last = u16_at(data, data.len() - 2);
                bounds.cell(u16_at(data, 0), u16_at(data, 2));
                bounds.cell(u16_at(data, 0), last);
            }
            _ => {}
        }
    }
    if depth >= 1 {
        bounds.check(|| name(&names, substream))?;
    }
    Ok(())
}

/// The name in a BOUNDSHEET record: after 6 bytes, a length, a flag for
/// two-byte characters, the characters.
fn sheet_name(data: &[u8]) -> String {
    let (Some(&len), Some(&wide)) = (data.get(6), data.get(7)) else {
        return String::new();
    };
    let chars = data.get(8..).unwrap_or_default();
    if wide & 1 == 1 {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(usize::from(len))
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars
            .iter()
            .take(usize::from(len))
            .map(|&b| char::from(b))
            .collect()
    }
}

/// What a sheet claims and holds.
#[derive(Default)]
struct Bounds {
    claimed: u64,
    cells: u64,
    rows: Option<(u16, u16)>,
    cols: Option<(u16, u16)>,
}

impl Bounds {
    fn cell(&mut self, row: u16, col: u16) {
        self.cells += 1;
        let widen = |range: &mut Option<(u16, u16)>, v: u16| {
            *range = Some(match *range {
                None => (v, v),
                Some((a, b)) => (a.min(v), b.max(v)),
            });
        };
        widen(&mut self.rows, row);
        widen(&mut self.cols, col);
    }

    /// The grid calamine would lay the cells out in.
    fn grid(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1),
            _ => 0,
        }
    }

    fn check(&self, sheet: impl FnOnce() -> String) -> Result<(), Oversized> {
        within(self.claimed.max(self.grid()), self.cells, sheet)
    }
}

/// The BIFF records of a stream: (type, data), until the bytes run out.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = stream.get(at..at + 4)?;
        let typ = u16_at(header, 0);
        let len = usize::from(u16_at(header, 2));
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// The workbook stream (`Workbook`, or `Book` in older files), read no
/// further than the container's own size.
fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
    let name = ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"]
        .into_iter()
        .find(|n| file.is_stream(n))?;
    let stream = file.open_stream(name).ok()?;
    let mut out = Vec::new();
    stream.take(bytes.len() as u64).read_to_end(&mut out).ok()?;
    Some(out)
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0; 10]);
        record(0x0203, &d)
    }

    fn dimensions(rows: u32, cols: u16) -> Vec<u8> {
        let mut d = 0u32.to_le_bytes().to_vec();
        d.extend(rows.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(cols.to_le_bytes());
        d.extend([0, 0]);
        record(0x0200, &d)
    }

    /// An OLE container whose workbook stream has globals naming one sheet
    /// 名单, and that sheet's records.
    fn workbook(cells: &[Vec<u8>]) -> Vec<u8> {
        let mut stream = record(0x0809, &[0; 16]);
        let mut boundsheet = vec![0; 6];
        let name: Vec<u16> = "名单".encode_utf16().collect();
        boundsheet.extend([name.len() as u8, 1]);
        boundsheet.extend(name.iter().flat_map(|u| u.to_le_bytes()));
        stream.extend(record(0x0085, &boundsheet));
        stream.extend(record(0x000A, &[]));
        stream.extend(record(0x0809, &[0; 16]));
        for c in cells {
            stream.extend(c);
        }
        stream.extend(record(0x000A, &[]));
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        file.create_stream("/Workbook")
            .unwrap()
            .write_all(&stream)
            .unwrap();
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    #[test]
    fn a_dense_sheet_passes_and_a_far_flung_cell_does_not() {
        let cells: Vec<Vec<u8>> = (0..300)
            .flat_map(|r| (0..16).map(move |c| number(r, c)))
            .collect();
        assert_eq!(check(&workbook(&cells)), Ok(()));
        let far = [number(0, 0), number(65_535, 255)];
        assert_eq!(
            check(&workbook(&far)),
            Err(Oversized {
                sheet: "名单".into(),
                claimed: 65_536 * 256
            })
        );
        let claimed = [dimensions(1_000_000_000, 255), number(0, 0)];
        assert!(check(&workbook(&claimed)).is_err());
        assert_eq!(check(b"not an OLE file"), Ok(()));
    }
}
