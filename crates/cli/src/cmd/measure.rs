//! `loadline measure`: your own headphone output's figures from two loopback recordings, and
//! your own headphone's impedance curve from a recording of a sense-resistor jig.

use crate::args::{OHM_UNITS, figure_in};
use crate::{emit, to_json};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use loadline_core::catalog::{Basis, OutputKind, Sensitivity, SensitivityUnit};
use loadline_core::import::{parse_sensitivity, to_zma};
use loadline_core::measure::OutputJson;
use loadline_core::measure::headphone::{
    HeadphoneJson, HeadphoneMeasurement, HeadphoneSetup, measure_headphone,
};
use loadline_core::measure::output::{Calibration, OutputSetup, measure_output};
use loadline_core::measure::recording::Recording;
use loadline_core::measure::signal::{jig_signal, signal};
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
        #[arg(required_unless_present = "jig", conflicts_with = "jig")]
        out: Option<PathBuf>,
        /// Write the sense-resistor jig's signal instead, for `measure headphone`: a sweep,
        /// the same on both channels.
        #[arg(long, value_name = "OUT.wav")]
        jig: Option<PathBuf>,
        /// Its sample rate: your DAW session's, Hz.
        #[arg(long, default_value = "48000", value_name = "HZ")]
        rate: String,
    },
    /// The output's figures from two recordings of the signal at one volume: OPEN (the jack
    /// into the inputs alone) and LOADED (a resistor across the left channel too).
    Output(OutputArgs),
    /// A headphone's impedance curve from a recording of the jig's signal through a sense
    /// resistor in series with it: input 1 (left) on the resistor's output side, input 2
    /// (right) on the headphone's side.
    Headphone(HeadphoneArgs),
}

/// The arguments of `loadline measure headphone`.
#[derive(Args)]
pub(crate) struct HeadphoneArgs {
    /// The recording of the jig's signal (`measure signal --jig`) through the jig.
    #[arg(long, value_name = "JIG.wav")]
    jig: PathBuf,
    /// The sense resistor, as marked ("100", "100 ohm"): near the headphone's impedance.
    #[arg(long, value_name = "OHM")]
    sense_ohm: String,
    /// How far the sense resistor may be from its marking, % (as printed on it).
    #[arg(long, value_name = "PCT", default_value = "1")]
    sense_tolerance: String,
    /// Input 2's impedance from the interface's manual ("10k"); without it, 10 kΩ to 1 MΩ is
    /// assumed and the ranges widen for a high-impedance headphone.
    #[arg(long, value_name = "OHM")]
    input_ohm: Option<String>,
    /// A recording of the jig's signal with both inputs on the resistor's output side, to take
    /// the inputs' mismatch out (without it they are taken to match within 0.1 dB).
    #[arg(long, value_name = "CAL.wav")]
    calibration: Option<PathBuf>,
    /// The headphone's sensitivity, for --save: "102 dB/V" or "97 dB/mW".
    #[arg(long, value_name = "SENS")]
    sensitivity: Option<String>,
    /// Where the sensitivity comes from ("maker's data sheet"): it is then saved as stated by
    /// that source; without it, as your own measurement.
    #[arg(long, value_name = "SOURCE", requires = "sensitivity")]
    sensitivity_source: Option<String>,
    /// Kind of transducer, in words, for --save.
    #[arg(long, default_value = "dynamic")]
    kind: String,
    /// Print JSON (the key points and every analysed frequency's row).
    #[arg(long)]
    json: bool,
    /// Write the curve as a .zma file (frequency, |Z|, phase), never over an existing file.
    #[arg(long, value_name = "FILE")]
    zma: Option<PathBuf>,
    /// Save the headphone in your catalog, "MAKER MODEL" ("Bench Cans"), with its key points
    /// measured and --sensitivity: then every command and the plugin use it.
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
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
            MeasureWhat::Signal { out, jig, rate } => match (out, jig) {
                (_, Some(jig)) => write_jig_signal(&jig, &rate),
                (Some(out), None) => write_signal(&out, &rate),
                (None, None) => bail!("give the file to write, or --jig FILE"),
            },
            MeasureWhat::Output(a) => a.run(),
            MeasureWhat::Headphone(a) => a.run(),
        }
    }
}

/// The rate `--rate` gives for a signal: whole, and 44.1 kHz or more.
fn signal_rate(rate: &str) -> anyhow::Result<f64> {
    let rate = figure_in("--rate", rate, &["hz"], plausible::SAMPLE_RATE_HZ)?;
    if rate < 44_100.0 || rate.fract() != 0.0 {
        bail!(
            "--rate: {rate} Hz; the signal reaches 20 kHz: give a whole rate of 44100 Hz or more"
        );
    }
    Ok(rate)
}

/// Writes the signal at `rate` to `out`.
fn write_signal(out: &Path, rate: &str) -> anyhow::Result<()> {
    let rate = signal_rate(rate)?;
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

/// Writes the jig's signal at `rate` to `out`.
fn write_jig_signal(out: &Path, rate: &str) -> anyhow::Result<()> {
    let rate = signal_rate(rate)?;
    let (frames, layout) = jig_signal(rate);
    let mono: Vec<f32> = frames.iter().map(|f| f[0]).collect();
    let mut wav = WavOut::create(out, rate as u32, 2)?;
    wav.write(&[&mono, &mono])?;
    wav.finish()?;
    eprintln!(
        "wrote {} ({:.1} s at {} Hz): play it from either channel of the output into the jig while recording both inputs (input 1 on the sense resistor's output side, input 2 on the headphone's side)",
        out.display(),
        layout.seconds(),
        rate
    );
    Ok(())
}

impl HeadphoneArgs {
    fn run(self) -> anyhow::Result<()> {
        // What --save needs is checked before the recordings are read.
        if self.save.is_some() && self.sensitivity.is_none() {
            bail!(
                "--save needs --sensitivity (\"102 dB/V\" or \"97 dB/mW\"): a headphone of your catalog has one, and the jig does not measure it"
            );
        }
        let save = self
            .save
            .as_deref()
            .map(|name| maker_and_model(name, "Bench Cans"))
            .transpose()?;
        if let Some(zma) = &self.zma {
            refuse_existing(zma)?;
        }
        let setup = self.setup()?;
        let jig = Recording::read(&self.jig)?;
        let calibration = self
            .calibration
            .as_deref()
            .map(Recording::read)
            .transpose()?;
        let m = measure_headphone(&jig, calibration.as_ref(), setup)?;
        if self.json {
            emit(&to_json(&HeadphoneJson::from(&m))?);
        } else {
            emit(&m.text());
        }
        if let Some(zma) = &self.zma {
            write_zma(zma, &m, &self.jig)?;
        }
        if let (Some((maker, model)), Some(text)) = (save, &self.sensitivity) {
            let sensitivity = self.sensitivity(text, &m)?;
            let entry = m.to_entry(
                maker,
                model,
                self.kind.trim(),
                sensitivity,
                &loadline_core::units::today_utc(),
            );
            crate::user::save_headphone(&entry)?;
        }
        Ok(())
    }

    fn setup(&self) -> anyhow::Result<HeadphoneSetup> {
        let (sense_ohm, tolerance, input_ohm) = resistor_and_input(
            ("--sense-ohm", &self.sense_ohm),
            ("--sense-tolerance", &self.sense_tolerance),
            self.input_ohm.as_deref(),
        )?;
        Ok(HeadphoneSetup {
            sense_ohm,
            sense_tolerance: tolerance,
            input_ohm,
        })
    }

    /// The sensitivity `text` gives, per volt (one per milliwatt converted at the measured
    /// |Z| at 1 kHz, which is also the entry's nominal impedance), known as the flags say.
    fn sensitivity(&self, text: &str, m: &HeadphoneMeasurement) -> anyhow::Result<Sensitivity> {
        let z_1k = m.key.z_1k_ohm.value;
        let value =
            parse_sensitivity(text, z_1k).map_err(|e| anyhow::anyhow!("--sensitivity: {e}"))?;
        let per_mw = text.to_lowercase().replace(' ', "").ends_with("/mw");
        let note = if per_mw {
            format!(
                "{} as given, per volt at the measured {} Ω at 1 kHz",
                text.trim(),
                loadline_core::units::fmt_sig(z_1k)
            )
        } else {
            String::new()
        };
        let (basis, source) = match &self.sensitivity_source {
            Some(s) => (Basis::Stated, s.trim().to_string()),
            None => (Basis::Measured, loadline_core::measure::SOURCE.to_string()),
        };
        Ok(Sensitivity {
            value,
            unit: SensitivityUnit::PerVolt,
            basis,
            source,
            note,
        })
    }
}

/// Refuses `path` when anything is there already: a measured curve is never written over a
/// file.
fn refuse_existing(path: &Path) -> anyhow::Result<()> {
    // A dangling symbolic link counts: writing through it would create a file elsewhere.
    if path.symlink_metadata().is_ok() {
        bail!(
            "{}: the file exists, and no file is written over; give another file name, or remove that one first",
            path.display()
        );
    }
    Ok(())
}

/// Writes the curve of `m` to `path` as a .zma file, whole or not at all, where no file is
/// (checked again: one may have appeared while the recording was analysed) and never over the
/// recording `jig`.
fn write_zma(path: &Path, m: &HeadphoneMeasurement, jig: &Path) -> anyhow::Result<()> {
    crate::refuse_overwriting(path, jig)?;
    refuse_existing(path)?;
    let title = format!("Impedance of {}: {}", jig.display(), m.setup_text());
    let text = to_zma(&m.curve, &title);
    loadline_core::files::write_whole(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("{}: {} bytes", path.display(), text.len());
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
            let (maker, model) = maker_and_model(name, "MOTU M2")?;
            let entry = m.to_entry(
                maker,
                model,
                OutputKind::AudioInterface,
                &loadline_core::units::today_utc(),
            );
            crate::user::save_output(&entry)?;
        }
        Ok(())
    }

    fn setup(&self) -> anyhow::Result<OutputSetup> {
        let (load_ohm, tolerance, input_ohm) = resistor_and_input(
            ("--load-ohm", &self.load_ohm),
            ("--load-tolerance", &self.load_tolerance),
            self.input_ohm.as_deref(),
        )?;
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
            load_tolerance: tolerance,
            input_ohm,
            calibration,
        })
    }
}

/// The maker and the model `--save NAME` gives ("MOTU M2": "MOTU", "M2").
fn maker_and_model<'a>(name: &'a str, example: &str) -> anyhow::Result<(&'a str, &'a str)> {
    name.trim()
        .split_once(char::is_whitespace)
        .map(|(maker, model)| (maker.trim(), model.trim()))
        .with_context(|| format!("--save: give the maker and the model, as in \"{example}\""))
}

/// A measuring resistor, its tolerance (a fraction) and the input's impedance, from their
/// flags (`resistor_flag` and `tolerance_flag` name the first two in messages).
fn resistor_and_input(
    (resistor_flag, resistor): (&str, &str),
    (tolerance_flag, tolerance): (&str, &str),
    input_ohm: Option<&str>,
) -> anyhow::Result<(f64, f64, Option<f64>)> {
    let ohm = figure_in(
        resistor_flag,
        resistor,
        OHM_UNITS,
        plausible::MEASURE_LOAD_OHM,
    )?;
    let pct = figure_in(
        tolerance_flag,
        tolerance.trim_end_matches('%'),
        &["%"],
        plausible::LOAD_TOLERANCE_PCT,
    )?;
    let input_ohm = input_ohm
        .map(|z| figure_in("--input-ohm", z, OHM_UNITS, plausible::LINE_INPUT_OHM))
        .transpose()?;
    Ok((ohm, pct / 100.0, input_ohm))
}
