//! `loadline render`: a WAV file through the full chain, a block at a time.

use crate::args::{HeadphoneArgs, OutputArgs, output_from_text, target_spl_value, volume_value};
use crate::io::refuse_overwriting;
use anyhow::bail;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use loadline_core::analysis::AnalysedOutput;
use loadline_core::dsp::design::DesignMode;
use loadline_core::plausible::{self};
use loadline_core::render::{RenderInfo, RenderSettings, Renderer};
use loadline_core::scenario::Level;
use loadline_core::setups::ModeSetup;
use loadline_core::units::fmt_db;
use loadline_core::wav;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The arguments of `loadline render`.
#[derive(Args)]
pub(crate) struct RenderArgs {
    /// The input WAV (any format hound reads: 8–32-bit integer, 32-bit float).
    pub(crate) input: PathBuf,
    /// The output WAV; with --compare, NAME.A.wav and NAME.B.wav beside it.
    pub(crate) output_wav: PathBuf,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    /// Also render through this output (a catalog name or key=value figures).
    #[arg(long, value_name = "OUTPUT")]
    pub(crate) compare: Option<String>,
    #[command(flatten)]
    pub(crate) headphone: HeadphoneArgs,
    /// Volume control, dB (0 = maximum).
    #[arg(long, value_name = "DB", allow_negative_numbers = true, value_parser = volume_value, conflicts_with = "target_spl")]
    pub(crate) volume: Option<f64>,
    /// Set the volume so that the reference reaches this SPL, dB SPL.
    #[arg(long, value_name = "DB", value_parser = target_spl_value)]
    pub(crate) target_spl: Option<f64>,
    /// Remove the divider's broadband level loss (normalised at 1 kHz).
    #[arg(long)]
    pub(crate) level_match: bool,
    /// Filter mode (the latency is removed either way); exact unless a setup says otherwise.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// A setup (`loadline setup list`): its outputs A and B (NAME.A.wav and NAME.B.wav),
    /// headphone, other listeners, level, mode and level match; the flags given beside it
    /// take their place (--output for A, --compare for B).
    #[arg(long, value_name = "NAME")]
    pub(crate) setup: Option<String>,
    /// Leave out the output's limits (full scale, rails, current).
    #[arg(long)]
    pub(crate) no_limits: bool,
    /// Leave out the output's noise.
    #[arg(long)]
    pub(crate) no_noise: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ModeArg {
    Exact,
    ZeroLatency,
}

impl RenderArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let RenderArgs {
            input,
            output_wav,
            output,
            compare,
            headphone,
            volume,
            target_spl,
            level_match,
            mode,
            setup,
            no_limits,
            no_noise,
        } = self;
        let setup = setup
            .as_deref()
            .map(crate::cmd::setup::choices)
            .transpose()?;
        let from_setup = |k: usize| setup.as_ref().map(|(_, c)| c.slots[k].analysed());
        let mut outs = match from_setup(0).filter(|_| !output.given()) {
            Some(a) => vec![a?],
            None => vec![output.resolve()?],
        };
        match (&compare, from_setup(1)) {
            (Some(c), _) => outs.push(output_from_text(c)?.analysed()?),
            (None, Some(b)) => outs.push(b?),
            (None, None) => {}
        }
        let sensitivity_for = target_spl.map(|_| "--target-spl sets the volume from an SPL");
        let listeners = match &setup {
            Some((_, c)) if !headphone.given() => c.listeners.resolve()?,
            _ => headphone.resolve(sensitivity_for)?,
        };
        let hp = listeners.seen_by(outs[0].own_outputs);
        let outs: Vec<AnalysedOutput> = outs
            .into_iter()
            .map(|o| o.placed(listeners.on, &listeners.others))
            .collect();
        let level = match (volume, target_spl, &setup) {
            (_, Some(t), _) => Level::TargetSplDb(t),
            (Some(v), None, _) => Level::VolumeDb(v),
            (None, None, Some((_, c))) => c
                .volume_db
                .map_or(Level::TargetSplDb(c.target_spl_db), Level::VolumeDb),
            (None, None, None) => Level::VolumeDb(0.0),
        };
        let mode = mode.unwrap_or(match &setup {
            Some((s, _)) if s.mode == ModeSetup::ZeroLatency => ModeArg::ZeroLatency,
            _ => ModeArg::Exact,
        });
        let level_match = level_match || setup.as_ref().is_some_and(|(s, _)| s.level_match);
        let targets: Vec<PathBuf> = if outs.len() == 1 {
            vec![output_wav.clone()]
        } else {
            ["A", "B"]
                .iter()
                .map(|l| output_wav.with_extension(format!("{l}.wav")))
                .collect()
        };
        for target in &targets {
            refuse_overwriting(target, &input)?;
        }
        let rate = wav::WavBlocks::open(&input)?.rate();
        if let Err(e) = plausible::SAMPLE_RATE_HZ.check(rate.into()) {
            bail!("{}: {e}; resample it first", input.display());
        }
        for (out, path) in outs.iter().zip(&targets) {
            let settings = RenderSettings {
                stage: out.stage,
                headphone: hp.clone(),
                mode: match mode {
                    ModeArg::Exact => DesignMode::Exact,
                    ModeArg::ZeroLatency => DesignMode::ZeroLatency,
                },
                level_match,
                level,
                limits: !no_limits,
                noise: !no_noise,
            };
            let info = render_file(&input, path, &settings, &out.name)?;
            eprintln!(
                "{}",
                rendered_text(path, &input, &out.name, &hp.name, &info)
            );
        }
        Ok(())
    }
}

/// Frames read, rendered and written at a time.
pub(crate) const RENDER_BLOCK_FRAMES: usize = 8192;

/// Renders the WAV at `input` through `settings` into a WAV at `path`, a block at a time (the
/// memory used does not grow with the file), with a progress bar on a terminal.
pub(crate) fn render_file(
    input: &Path,
    path: &Path,
    settings: &RenderSettings,
    output_name: &str,
) -> anyhow::Result<RenderInfo> {
    let mut reader = wav::WavBlocks::open(input)?;
    let mut writer = wav::WavOut::create(path, reader.rate(), reader.channels())?;
    let mut renderer = Renderer::new(reader.channels(), reader.rate() as f64, settings);
    let bar = ProgressBar::new(reader.frames())
        .with_style(ProgressStyle::with_template("{msg} [{bar:40}] {percent}%")?);
    bar.set_message(format!("{output_name} → {}", path.display()));
    let mut written = Ok(());
    let mut emit = |block: &[&[f32]]| {
        if written.is_ok() {
            written = writer.write(block);
        }
    };
    loop {
        let block = reader.next_block(RENDER_BLOCK_FRAMES)?;
        let frames = block.first().map_or(0, Vec::len);
        if frames == 0 {
            break;
        }
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        renderer.push(&slices, &mut emit);
        bar.inc(frames as u64);
    }
    let info = renderer.finish(&mut emit);
    bar.finish_and_clear();
    written?;
    writer.finish()?;
    Ok(info)
}

/// What a render did, in one line: where, what through what, the volume, and any clipping.
pub(crate) fn rendered_text(
    path: &std::path::Path,
    input: &std::path::Path,
    output_name: &str,
    hp_name: &str,
    info: &RenderInfo,
) -> String {
    let mut msg = format!(
        "{}: {} through {output_name} on {hp_name}, volume {} dB",
        path.display(),
        input.display(),
        fmt_db(info.volume_db)
    );
    if info.target_reachable == Some(false) {
        msg.push_str(" (maximum: the target is out of reach)");
    }
    if info.clipped_samples > 0 {
        let _ = write!(
            msg,
            ", a limit acted in {} of its {} samples ({:.2} %)",
            info.clipped_samples,
            info.samples,
            100.0 * info.clipped_samples as f64 / info.samples.max(1) as f64
        );
    }
    msg
}
