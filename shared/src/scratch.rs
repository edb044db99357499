//! Space the core writes a delivery's objects through, owned by the caller and reused across
//! deliveries: gzip compressors (deflate state reset between objects) and line buffers.
//!
//! The core stays pure: a [`Scratch`] holds no data of a past delivery that could change a plan
//! (each compressor is reset and each buffer cleared before it is used), so a plan made with a
//! used scratch is byte for byte the plan made with a new one. What it saves is the allocation
//! and set-up of ~0.4 MiB of compressor state and buffers per object, which is most of the cost
//! of a small delivery.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// At most this many compressors and line buffers are kept between deliveries: one delivery
/// in one or two hours (an hour's edge) reuses them all, small objects have their own level
/// (`output::SMALL_OBJECT`), and a delivery across many hours gives back no more than this, so
/// a scratch never holds more than ~1.3 MiB.
const KEEP: usize = 3;

/// A line buffer kept for reuse is at most this large (a delivery with one huge line gives it
/// back to the allocator rather than keeping it).
const KEEP_LINES: usize = 256 << 10;

/// Reusable space for [`crate::handle_with`]; one per thread that decodes (the server's worker
/// threads, a Lambda execution environment, a Worker isolate). `Scratch::default()` is empty and
/// costs nothing until its first delivery.
#[derive(Default)]
pub struct Scratch {
    encoders: Vec<Gzip>,
    lines: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("encoders", &self.encoders.len())
            .field("lines", &self.lines.len())
            .finish()
    }
}

impl Scratch {
    /// A gzip stream at `level`, its deflate state reused when one at that level is kept.
    pub(crate) fn gzip(&mut self, level: Compression) -> Gzip {
        match self.encoders.iter().position(|g| g.level == level) {
            Some(i) => {
                let mut g = self.encoders.swap_remove(i);
                g.begin();
                g
            }
            None => Gzip::new(level),
        }
    }

    /// An empty line buffer.
    pub(crate) fn lines(&mut self) -> Vec<u8> {
        self.lines.pop().unwrap_or_default()
    }

    /// Takes back what [`Scratch::gzip`] and [`Scratch::lines`] gave, within [`KEEP`].
    pub(crate) fn give_back(&mut self, gzip: Option<Gzip>, mut lines: Vec<u8>) {
        if let Some(g) = gzip {
            if self.encoders.len() < KEEP {
                self.encoders.push(g);
            }
        }
        if self.lines.len() < KEEP && lines.capacity() <= KEEP_LINES {
            lines.clear();
            self.lines.push(lines);
        }
    }
}

/// One gzip member (RFC 1952) over a deflate state that can be reset and used again.
///
/// flate2's `GzEncoder` has no reset, so each new one allocates and initialises a deflate state
/// (zlib-rs: its 128 KiB hash table, window and buffers). Its `DeflateEncoder` can be reset, so the
/// member's 10-byte header and 8-byte trailer (CRC-32 and length, from flate2's `Crc`) are written
/// here, byte for byte as `GzEncoder` writes them (a test compares the two).
pub(crate) struct Gzip {
    level: Compression,
    deflate: DeflateEncoder<Vec<u8>>,
    crc: Crc,
}

impl Gzip {
    fn new(level: Compression) -> Self {
        let mut g = Gzip {
            level,
            deflate: DeflateEncoder::new(Vec::new(), level),
            crc: Crc::new(),
        };
        g.begin();
        g
    }

    /// Starts a member: the header, as `GzBuilder` writes it (no name, mtime 0, OS unknown).
    fn begin(&mut self) {
        let xfl = match self.level.level() {
            l if l >= Compression::best().level() => 2,
            l if l <= Compression::fast().level() => 4,
            _ => 0,
        };
        self.deflate
            .get_mut()
            .extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
        self.crc.reset();
    }

    pub(crate) fn write(&mut self, data: &[u8]) {
        self.crc.update(data);
        self.deflate.write_all(data).expect("writing to memory");
    }

    /// The finished member; the deflate state is reset, ready for [`Scratch::give_back`].
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut out = self.deflate.reset(Vec::new()).expect("writing to memory");
        out.extend_from_slice(&self.crc.sum().to_le_bytes());
        out.extend_from_slice(&self.crc.amount().to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz_encoder(level: u32, data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn members_match_gz_encoder_byte_for_byte_when_reused() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .collect();
        let mut scratch = Scratch::default();
        for level in [1, 4, 6, 9, 4] {
            for part in [&data[..], &data[..10], b"", &data[1000..90_000]] {
                let mut g = scratch.gzip(Compression::new(level));
                g.write(part);
                let ours = g.finish();
                scratch.give_back(Some(g), Vec::new());
                assert_eq!(ours, gz_encoder(level, part), "level {level}, {} bytes", part.len());
            }
        }
        assert!(scratch.encoders.len() <= KEEP);
    }

    #[test]
    fn keeps_at_most_keep_of_each_and_no_huge_buffer() {
        let mut scratch = Scratch::default();
        let taken: Vec<Gzip> = (0..5).map(|_| scratch.gzip(Compression::new(4))).collect();
        for g in taken {
            scratch.give_back(Some(g), Vec::with_capacity(16));
        }
        assert_eq!((scratch.encoders.len(), scratch.lines.len()), (KEEP, KEEP));
        let mut s = Scratch::default();
        s.give_back(None, Vec::with_capacity(KEEP_LINES + 1));
        assert!(s.lines.is_empty());
    }
}
