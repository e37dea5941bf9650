//! WAV files in and out, a block at a time, so that a render needs memory for a block and not
//! for the file; a file written appears under its name only once it is whole.

use anyhow::{Context, anyhow, bail};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// A WAV file read in blocks of frames, each sample in full-scale units.
pub struct WavBlocks {
    reader: hound::WavReader<BufReader<File>>,
    path: PathBuf,
    /// Full-scale units per integer step; `None` for float samples.
    int_scale: Option<f32>,
    /// The frames read so far.
    frames_read: u64,
}

impl WavBlocks {
    /// Opens `path`, refusing a file with no channels or no frames.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let reader = hound::WavReader::open(path).map_err(|e| read_error(path, e, 0))?;
        let spec = reader.spec();
        if spec.channels == 0 {
            bail!("{}: no channels", path.display());
        }
        let readable = match spec.sample_format {
            hound::SampleFormat::Float => spec.bits_per_sample == 32,
            hound::SampleFormat::Int => (8..=32).contains(&spec.bits_per_sample),
        };
        if !readable {
            bail!(
                "{}: {}-bit {} samples, which Loadline does not read; export it again as a 16-, 24- or 32-bit integer or 32-bit float WAV",
                path.display(),
                spec.bits_per_sample,
                match spec.sample_format {
                    hound::SampleFormat::Float => "float",
                    hound::SampleFormat::Int => "integer",
                }
            );
        }
        if reader.duration() == 0 {
            bail!("{}: no audio (0 frames)", path.display());
        }
        let int_scale = (spec.sample_format == hound::SampleFormat::Int)
            .then(|| 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32);
        Ok(WavBlocks {
            reader,
            path: path.to_owned(),
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

    /// The number of frames in the file.
    pub fn frames(&self) -> u64 {
        self.reader.duration().into()
    }

    /// The next `frames` frames or fewer, one `Vec` per channel; empty ones at the end.
    pub fn next_block(&mut self, frames: usize) -> anyhow::Result<Vec<Vec<f32>>> {
        let channels = self.channels();
        let wanted = frames * channels;
        let path = &self.path;
        let frame = self.frames_read;
        let interleaved: Vec<f32> = match self.int_scale {
            None => self
                .reader
                .samples::<f32>()
                .take(wanted)
                .collect::<Result<_, _>>(),
            Some(scale) => self
                .reader
                .samples::<i32>()
                .take(wanted)
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>(),
        }
        .map_err(|e| read_error(path, e, frame))?;
        let got = interleaved.len() / channels;
        self.frames_read += got as u64;
        Ok((0..channels)
            .map(|c| (0..got).map(|i| interleaved[i * channels + c]).collect())
            .collect())
    }
}

/// Why the WAV at `path` cannot be read, in words a producer can act on; `frame` is where
/// reading stopped (0 while opening it).
fn read_error(path: &Path, e: hound::Error, frame: u64) -> anyhow::Error {
    let path = path.display();
    let export = "export it again as a 16-, 24- or 32-bit integer or 32-bit float WAV";
    // hound reports a file that ends early either way.
    let ends_early = match &e {
        hound::Error::IoError(io) => {
            io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes")
        }
        hound::Error::FormatError(what) => what.contains("enough bytes"),
        _ => false,
    };
    match e {
        _ if ends_early => {
            if frame == 0 {
                anyhow!(
                    "{path}: the file ends before its audio starts (empty or cut short); {export}"
                )
            } else {
                anyhow!(
                    "{path}: the audio ends at frame {frame}, before the length its header gives (the file is cut short); {export}"
                )
            }
        }
        hound::Error::IoError(io) => anyhow!("{path}: cannot read it: {io}"),
        hound::Error::FormatError(what) => {
            anyhow!("{path}: not a WAV file Loadline can read ({what}); {export}")
        }
        hound::Error::Unsupported | hound::Error::TooWide | hound::Error::InvalidSampleFormat => {
            anyhow!(
                "{path}: a WAV sample format Loadline does not read (64-bit float, or an unusual bit depth); {export}"
            )
        }
        other => anyhow!("{path}: {other}; {export}"),
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
    pub fn create(path: &Path, rate: u32, channels: usize) -> anyhow::Result<Self> {
        let spec = hound::WavSpec {
            channels: u16::try_from(channels).context("too many channels")?,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let partial = loadline_core::files::partial_path(path);
        let writer = hound::WavWriter::create(&partial, spec)
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(WavOut {
            writer: Some(writer),
            partial,
            path: path.to_owned(),
        })
    }

    /// Appends a block (one slice per channel, equal lengths).
    pub fn write(&mut self, block: &[&[f32]]) -> anyhow::Result<()> {
        let writer = self.writer.as_mut().expect("written only before finish");
        let frames = block.first().map_or(0, |c| c.len());
        for i in 0..frames {
            for channel in block {
                writer
                    .write_sample(channel[i])
                    .map_err(|e| anyhow!("cannot write {}: {e}", self.path.display()))?;
            }
        }
        Ok(())
    }

    /// Completes the file and gives it its name.
    pub fn finish(mut self) -> anyhow::Result<()> {
        let writer = self.writer.take().expect("finished once");
        let done = writer
            .finalize()
            .map_err(|e| anyhow!("cannot write {}: {e}", self.path.display()))
            .and_then(|()| {
                std::fs::rename(&self.partial, &self.path)
                    .with_context(|| format!("cannot write {}", self.path.display()))
            });
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
