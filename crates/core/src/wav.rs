//! WAV files in and out, a block at a time, so that a render needs memory for a block and not
//! for the file; a file written appears under its name only once it is whole. A damaged file
//! is refused with what is wrong and what to do.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

/// Why a WAV file cannot be read or written, in words a producer can act on (the file's name
/// first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavError(String);

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WavError {}

/// What to do with a file Loadline cannot read.
const EXPORT_AGAIN: &str = "export it again as a 16-, 24- or 32-bit integer or 32-bit float WAV";

/// Why the WAV `name` cannot be read; `frame` is where reading stopped (`None` while opening
/// it).
fn read_error(name: &str, e: hound::Error, frame: Option<u64>) -> WavError {
    // hound reports a file that ends early in more than one way.
    let ends_early = match &e {
        hound::Error::IoError(io) => {
            io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes")
        }
        hound::Error::FormatError(what) => what.contains("enough bytes"),
        _ => false,
    };
    WavError(match e {
        _ if ends_early => match frame {
            None => format!(
                "{name}: the file ends before its audio starts (empty or cut short); {EXPORT_AGAIN}"
            ),
            Some(frame) => format!(
                "{name}: the audio ends at frame {frame}, before the length its header gives (the file is cut short); {EXPORT_AGAIN}"
            ),
        },
        hound::Error::IoError(io) => format!("{name}: cannot read it: {io}"),
        hound::Error::FormatError(what) => {
            format!("{name}: not a WAV file Loadline can read ({what}); {EXPORT_AGAIN}")
        }
        hound::Error::Unsupported | hound::Error::TooWide | hound::Error::InvalidSampleFormat => {
            format!("{name}: a WAV sample format Loadline does not read; {EXPORT_AGAIN}")
        }
        other => format!("{name}: {other}; {EXPORT_AGAIN}"),
    })
}

/// A WAV file read in blocks of frames, each sample in full-scale units.
pub struct WavBlocks<R: Read = BufReader<File>> {
    reader: hound::WavReader<R>,
    /// The file's name, for messages.
    name: String,
    /// Full-scale units per integer step; `None` for float samples.
    int_scale: Option<f32>,
    /// The frames read so far.
    frames_read: u64,
}

impl WavBlocks {
    /// Opens `path`, refusing a file with no channels, no frames or samples it cannot read.
    pub fn open(path: &Path) -> Result<Self, WavError> {
        let name = path.display().to_string();
        let file =
            File::open(path).map_err(|e| WavError(format!("{name}: cannot read it: {e}")))?;
        WavBlocks::from_reader(BufReader::new(file), name)
    }
}

impl<R: Read> WavBlocks<R> {
    /// Reads a WAV from `reader`, named `name` in messages (see [`WavBlocks::open`]).
    pub fn from_reader(reader: R, name: String) -> Result<Self, WavError> {
        let reader = hound::WavReader::new(reader).map_err(|e| read_error(&name, e, None))?;
        let spec = reader.spec();
        if spec.channels == 0 {
            return Err(WavError(format!("{name}: no channels; {EXPORT_AGAIN}")));
        }
        let readable = match spec.sample_format {
            hound::SampleFormat::Float => spec.bits_per_sample == 32,
            hound::SampleFormat::Int => (8..=32).contains(&spec.bits_per_sample),
        };
        if !readable {
            let format = match spec.sample_format {
                hound::SampleFormat::Float => "float",
                hound::SampleFormat::Int => "integer",
            };
            return Err(WavError(format!(
                "{name}: {}-bit {format} samples, which Loadline does not read; {EXPORT_AGAIN}",
                spec.bits_per_sample
            )));
        }
        if reader.duration() == 0 {
            return Err(WavError(format!("{name}: no audio (0 frames)")));
        }
        let int_scale = (spec.sample_format == hound::SampleFormat::Int)
            .then(|| 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32);
        Ok(WavBlocks {
            reader,
            name,
            int_scale,
            frames_read: 0,
        })
    }

    /// The sample rate, Hz.
    pub fn rate(&self) -> u32 {
        self.reader.spec().sample_rate
    }

    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.reader.spec().channels as usize
    }

    /// The number of frames the file's header gives.
    pub fn frames(&self) -> u64 {
        self.reader.duration().into()
    }

    /// The next `frames` frames or fewer, one `Vec` per channel; empty ones at the end.
    pub fn next_block(&mut self, frames: usize) -> Result<Vec<Vec<f32>>, WavError> {
        let channels = self.channels();
        let wanted = frames * channels;
        let mut interleaved: Vec<f32> = Vec::with_capacity(wanted);
        let read = match self.int_scale {
            None => (self.reader.samples::<f32>().take(wanted))
                .try_for_each(|s| s.map(|v| interleaved.push(v))),
            Some(scale) => (self.reader.samples::<i32>().take(wanted))
                .try_for_each(|s| s.map(|v| interleaved.push(v as f32 * scale))),
        };
        if let Err(e) = read {
            let frame = self.frames_read + (interleaved.len() / channels) as u64;
            return Err(read_error(&self.name, e, Some(frame)));
        }
        let got = interleaved.len() / channels;
        self.frames_read += got as u64;
        Ok((0..channels)
            .map(|c| (0..got).map(|i| interleaved[i * channels + c]).collect())
            .collect())
    }
}

/// A 32-bit float WAV being written: into `NAME.partial` beside its path, renamed to the path
/// by [`WavOut::finish`]. Dropped unfinished (an error on the way), the partial file is removed,
/// so that nothing but a whole file ever stands under the name.
pub struct WavOut {
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    partial: PathBuf,
    path: PathBuf,
}

impl WavOut {
    /// Starts writing `path` at `rate` Hz with `channels` channels.
    pub fn create(path: &Path, rate: u32, channels: usize) -> Result<Self, WavError> {
        let cannot =
            |e: &dyn fmt::Display| WavError(format!("cannot write {}: {e}", path.display()));
        let spec = hound::WavSpec {
            channels: u16::try_from(channels).map_err(|_| cannot(&"too many channels"))?,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let partial = crate::files::partial_path(path);
        let writer = hound::WavWriter::create(&partial, spec).map_err(|e| cannot(&e))?;
        Ok(WavOut {
            writer: Some(writer),
            partial,
            path: path.to_owned(),
        })
    }

    /// Appends a block (one slice per channel, equal lengths).
    pub fn write(&mut self, block: &[&[f32]]) -> Result<(), WavError> {
        let writer = self.writer.as_mut().expect("written only before finish");
        let frames = block.first().map_or(0, |c| c.len());
        for i in 0..frames {
            for channel in block {
                writer
                    .write_sample(channel[i])
                    .map_err(|e| WavError(format!("cannot write {}: {e}", self.path.display())))?;
            }
        }
        Ok(())
    }

    /// Completes the file and gives it its name.
    pub fn finish(mut self) -> Result<(), WavError> {
        let writer = self.writer.take().expect("finished once");
        let cannot =
            |e: &dyn fmt::Display| WavError(format!("cannot write {}: {e}", self.path.display()));
        let done = writer
            .finalize()
            .map_err(|e| cannot(&e))
            .and_then(|()| std::fs::rename(&self.partial, &self.path).map_err(|e| cannot(&e)));
        if done.is_err() {
            let _ = std::fs::remove_file(&self.partial);
        }
        done
    }
}

impl Drop for WavOut {
    fn drop(&mut self) {
        // Still writing when dropped: the render failed, and its partial file goes with it.
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit stereo WAV of `frames` frames of a ramp.
    fn wav(frames: usize) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
        for i in 0..frames * 2 {
            w.write_sample((i as i16).wrapping_mul(97)).unwrap();
        }
        w.finalize().unwrap();
        out.into_inner()
    }

    /// Reads every block of `bytes`, or the error that stops it; never more frames than the
    /// header gives.
    fn read_all(bytes: &[u8]) -> Result<u64, WavError> {
        let mut r = WavBlocks::from_reader(bytes, "test.wav".into())?;
        let mut frames = 0;
        loop {
            let block = r.next_block(100)?;
            let got = block[0].len() as u64;
            assert!(block.iter().all(|c| c.len() as u64 == got));
            if got == 0 {
                break;
            }
            frames += got;
            assert!(frames <= r.frames());
        }
        Ok(frames)
    }

    #[test]
    fn a_whole_file_reads_back_and_a_cut_one_says_where_it_ends() {
        let bytes = wav(1000);
        assert_eq!(read_all(&bytes), Ok(1000));
        let cut = read_all(&bytes[..bytes.len() / 2]).unwrap_err().to_string();
        assert!(
            // 1978 bytes of audio: 989 samples, 494 whole stereo frames.
            cut.contains("the audio ends at frame 494") && cut.contains("test.wav"),
            "{cut}"
        );
        let empty = read_all(&[]).unwrap_err().to_string();
        assert!(empty.contains("ends before its audio starts"), "{empty}");
    }

    /// What the fuzz target does, on a deterministic stream of damaged files: every byte
    /// flipped, cut or inserted somewhere in a sound file; reading never panics and never
    /// yields more frames than the header gives.
    #[test]
    fn damaged_files_never_panic() {
        let seed = wav(300);
        let mut rng = crate::dsp::noise::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next_u64();
        for _ in 0..3000 {
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, next() as u8),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = read_all(&bytes);
        }
    }
}
