//! `loadline measure`: your own headphone output's figures from two loopback recordings.

use crate::args::{OHM_UNITS, figure_in};
use crate::{emit, to_json};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use loadline_core::catalog::OutputKind;
use loadline_core::measure::OutputJson;
use loadline_core::measure::output::{Calibration, OutputSetup, measure_output};
use loadline_core::measure::recording::Recording;
use loadline_core::measure::signal::signal;
use loadline_core::plausible;
use loadline_core::wav::WavOut;
use std::path::{Path, PathBuf};

/// The arguments of `loadline measure`.
#[derive(Args)]
pub(crate) struct MeasureArgs {
    #[command(subcommand)]
    what: MeasureWhat,
}

#[derive(Subcommand)]
enum MeasureWhat {
    /// Write the signal to play from the headphone output while the line inputs record it
    /// (stereo: the measurement left, a pilot tone right). See docs/measure.md.
    Signal {
        /// Where to write it (a 32-bit float WAV).
        out: PathBuf,
        /// Its sample rate: your DAW session's, Hz.
        #[arg(long, default_value = "48000", value_name = "HZ")]
        rate: String,
    },
    /// The output's figures from two recordings of the signal at one volume: OPEN (the jack
    /// into the inputs alone) and LOADED (a resistor across the left channel too).
    Output(OutputArgs),
}

/// The arguments of `loadline measure output`.
#[derive(Args)]
pub(crate) struct OutputArgs {
    /// The recording with nothing but the inputs on the output.
    #[arg(long, value_name = "OPEN.wav")]
    open: PathBuf,
    /// The recording with the resistor across the left channel as well.
    #[arg(long, value_name = "LOADED.wav")]
    loaded: PathBuf,
    /// The resistor, as marked ("33", "33 ohm"; 16 Ω for outputs below 2 Ω).
    #[arg(long, value_name = "OHM")]
    load_ohm: String,
    /// How far the resistor may be from its marking, % (as printed on it).
    #[arg(long, value_name = "PCT", default_value = "1")]
    load_tolerance: String,
    /// The input's full scale from its manual: the level a 0 dBFS sine reads, dBu ("+16 dBu").
    #[arg(
        long,
        value_name = "DBU",
        allow_negative_numbers = true,
        required_unless_present = "pilot_volts",
        conflicts_with = "pilot_volts"
    )]
    input_full_scale_dbu: Option<String>,
    /// Or the pilot's voltage at the right channel, read with a multimeter (AC V) while the
    /// open pass plays, V RMS.
    #[arg(long, value_name = "V")]
    pilot_volts: Option<String>,
    /// The line input's impedance from its manual ("10k"); without it, 10 kΩ to 1 MΩ is
    /// assumed and the ranges widen.
    #[arg(long, value_name = "OHM")]
    input_ohm: Option<String>,
    /// A recording of the inputs alone (nothing plugged in, same gain), to take their own
    /// noise out of the output's.
    #[arg(long, value_name = "FLOOR.wav")]
    input_floor: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Save the figures as an output of your catalog, "MAKER MODEL" ("MOTU M2"): then the
    /// plugin, the standalone and every command use it.
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
}

impl MeasureArgs {
    /// Runs the subcommand.
    pub(crate) fn run(self) -> anyhow::Result<()> {
        match self.what {
            MeasureWhat::Signal { out, rate } => write_signal(&out, &rate),
            MeasureWhat::Output(a) => a.run(),
        }
    }
}

/// Writes the signal at `rate` to `out`.
fn write_signal(out: &Path, rate: &str) -> anyhow::Result<()> {
    let rate = figure_in("--rate", rate, &["hz"], plausible::SAMPLE_RATE_HZ)?;
    if rate < 44_100.0 || rate.fract() != 0.0 {
        bail!(
            "--rate: {rate} Hz; the signal reaches 20 kHz: give a whole rate of 44100 Hz or more"
        );
    }
    let (frames, layout) = signal(rate);
    let mut wav = WavOut::create(out, rate as u32, 2)?;
    let left: Vec<f32> = frames.iter().map(|f| f[0]).collect();
    let right: Vec<f32> = frames.iter().map(|f| f[1]).collect();
    wav.write(&[&left, &right])?;
    wav.finish()?;
    eprintln!(
        "wrote {} ({:.1} s at {} Hz): play it from the headphone output while recording both inputs, once open and once loaded (docs/measure.md)",
        out.display(),
        layout.seconds(),
        rate
    );
    Ok(())
}

impl OutputArgs {
    fn run(self) -> anyhow::Result<()> {
        let setup = self.setup()?;
        let open = Recording::read(&self.open)?;
        let loaded = Recording::read(&self.loaded)?;
        let floor = self
            .input_floor
            .as_deref()
            .map(Recording::read)
            .transpose()?;
        let m = measure_output(&open, &loaded, floor.as_ref(), setup)?;
        if self.json {
            emit(&to_json(&OutputJson::from(&m))?);
        } else {
            emit(&m.text());
        }
        if let Some(name) = &self.save {
            let (maker, model) = name
                .trim()
                .split_once(char::is_whitespace)
                .context("--save: give the maker and the model, as in \"MOTU M2\"")?;
            let entry = m.to_entry(
                maker.trim(),
                model.trim(),
                OutputKind::AudioInterface,
                &loadline_core::units::today_utc(),
            );
            crate::user::save_output(&entry)?;
        }
        Ok(())
    }

    fn setup(&self) -> anyhow::Result<OutputSetup> {
        let load_ohm = figure_in(
            "--load-ohm",
            &self.load_ohm,
            OHM_UNITS,
            plausible::MEASURE_LOAD_OHM,
        )?;
        let tolerance = figure_in(
            "--load-tolerance",
            self.load_tolerance.trim_end_matches('%'),
            &["%"],
            plausible::LOAD_TOLERANCE_PCT,
        )?;
        let input_ohm = (self.input_ohm.as_deref())
            .map(|z| figure_in("--input-ohm", z, OHM_UNITS, plausible::LINE_INPUT_OHM))
            .transpose()?;
        let calibration = match (&self.input_full_scale_dbu, &self.pilot_volts) {
            (Some(dbu), _) => Calibration::InputFullScaleDbu(figure_in(
                "--input-full-scale-dbu",
                dbu,
                &["dbu"],
                plausible::INPUT_FULL_SCALE_DBU,
            )?),
            (None, Some(v)) => Calibration::PilotVolts(figure_in(
                "--pilot-volts",
                v,
                &["v", "vrms"],
                plausible::PILOT_VRMS,
            )?),
            (None, None) => bail!("give --input-full-scale-dbu or --pilot-volts"),
        };
        Ok(OutputSetup {
            load_ohm,
            load_tolerance: tolerance / 100.0,
            input_ohm,
            calibration,
        })
    }
}
