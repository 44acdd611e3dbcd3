//! Small bar charts as PNG images, for e-mail: mail programs show neither SVG nor scripts,
//! and they block remote images, so a chart travels as an inline PNG attachment.
//!
//! The encoder writes the smallest PNG that every reader understands: 8-bit indexed colour
//! with a four-colour palette, one IDAT chunk compressed with zlib (`flate2`), no filtering.
//! The chart has no text: the digest writes the numbers beside it, where they can be read
//! aloud and copied.

use std::io::Write;

use flate2::Crc;
use flate2::write::ZlibEncoder;

/// The chart's size as shown, in CSS pixels.
pub const WIDTH: u32 = 280;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 72;
/// Pixels per CSS pixel: drawn twice as fine, so phones with dense screens show it sharp.
pub const SCALE: u32 = 2;

/// The palette: background, axis, an ordinary day, the highlighted (last) day.
const PALETTE: [[u8; 3]; 4] =
    [[0xff, 0xff, 0xff], [0xb0, 0xb8, 0xc0], [0x9c, 0xc3, 0xe6], [0xb0, 0x00, 0x20]];
const BACKGROUND: u8 = 0;
const AXIS: u8 = 1;
const BAR: u8 = 2;
const HIGHLIGHT: u8 = 3;

/// A bar chart of `values` (oldest first), the last bar highlighted, as PNG bytes of
/// `WIDTH × SCALE` by `HEIGHT × SCALE` pixels. Negative values count as zero; with no
/// values, only the axis is drawn.
pub fn bar_chart(values: &[i64]) -> Vec<u8> {
    let (w, h) = (WIDTH * SCALE, HEIGHT * SCALE);
    let mut pixels = vec![BACKGROUND; (w * h) as usize];
    let axis_y = h - 2 * SCALE;
    for x in 0..w {
        for y in axis_y..axis_y + SCALE {
            pixels[(y * w + x) as usize] = AXIS;
        }
    }
    let top = 2 * SCALE;
    // One pixel per bar at the least: a longer series keeps its latest values.
    let values = &values[values.len().saturating_sub(w as usize)..];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let n = values.len() as u32;
    if let Some(slot) = w.checked_div(n) {
        let gap = (slot / 5).max(1);
        let bar_w = slot.saturating_sub(gap).max(1);
        let left = (w - slot * n) / 2 + gap / 2;
        for (i, &v) in values.iter().enumerate() {
            let v = v.max(0) as u64;
            // Any day with stories gets at least a sliver, so one story is not nothing.
            let full = u64::from(axis_y - top);
            let bar_h = if v == 0 { 0 } else { (full * v / max as u64).max(u64::from(SCALE)) };
            let colour = if i + 1 == values.len() { HIGHLIGHT } else { BAR };
            let x0 = left + slot * i as u32;
            for y in axis_y - bar_h as u32..axis_y {
                for x in x0..(x0 + bar_w).min(w) {
                    pixels[(y * w + x) as usize] = colour;
                }
            }
        }
    }
    encode_indexed(w, h, &pixels)
}

/// Encodes 8-bit palette indices (row by row) as a PNG with [`PALETTE`].
fn encode_indexed(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(pixels.len() + height as usize);
    for row in pixels.chunks(width as usize) {
        raw.push(0); // filter type: none
        raw.extend_from_slice(row);
    }
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 3 (indexed), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"PLTE", &PALETTE.concat());
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// A PNG read back: the header's fields and the palette indices, checking every CRC.
    fn decode(png: &[u8]) -> (u32, u32, [u8; 5], Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "signature");
        let mut at = 8;
        let (mut ihdr, mut idat, mut kinds) = (Vec::new(), Vec::new(), Vec::new());
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = Crc::new();
            crc.update(kind);
            crc.update(data);
            let stored = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc.sum(), stored, "CRC of {}", String::from_utf8_lossy(kind));
            kinds.push(String::from_utf8_lossy(kind).into_owned());
            match kind {
                b"IHDR" => ihdr = data.to_vec(),
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "PLTE", "IDAT", "IEND"]);
        let w = u32::from_be_bytes(ihdr[0..4].try_into().unwrap());
        let h = u32::from_be_bytes(ihdr[4..8].try_into().unwrap());
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), (h * (w + 1)) as usize);
        let mut pixels = Vec::new();
        for row in raw.chunks(w as usize + 1) {
            assert_eq!(row[0], 0, "filter none");
            pixels.extend_from_slice(&row[1..]);
        }
        (w, h, ihdr[8..13].try_into().unwrap(), pixels)
    }

    #[test]
    fn a_chart_decodes_with_the_last_bar_highlighted() {
        let png = bar_chart(&[1, 0, 3, 2, 6]);
        let (w, h, params, pixels) = decode(&png);
        assert_eq!((w, h), (WIDTH * SCALE, HEIGHT * SCALE));
        assert_eq!(params, [8, 3, 0, 0, 0]);
        let at = |x: u32, y: u32| pixels[(y * w + x) as usize];
        // Just above the axis: five slots, the empty second one shows background.
        let y = h - 2 * SCALE - 1;
        let slot = w / 5;
        let middle = |i: u32| slot * i + slot / 2;
        assert_eq!(at(middle(0), y), BAR);
        assert_eq!(at(middle(1), y), BACKGROUND);
        assert_eq!(at(middle(4), y), HIGHLIGHT);
        // The tallest (last) bar reaches the top margin; the first is a sixth of it.
        assert_eq!(at(middle(4), 2 * SCALE), HIGHLIGHT);
        assert_eq!(at(middle(0), 2 * SCALE), BACKGROUND);
        assert_eq!(at(0, h - 2 * SCALE), AXIS);
        assert!(png.len() < 2_000, "a small image: {} bytes", png.len());
    }

    #[test]
    fn empty_and_negative_series_draw_only_the_axis() {
        for values in [&[][..], &[0, 0, -3][..]] {
            let (_, _, _, pixels) = decode(&bar_chart(values));
            assert!(!pixels.contains(&BAR) && !pixels.contains(&HIGHLIGHT));
            assert!(pixels.contains(&AXIS));
        }
    }
}
