//! Several headphones on one output: a splitter on one jack, two jacks on one driver, or a
//! distribution amplifier with an output for each.
//!
//! On one jack the output drives their impedances in parallel, so each listener hears the same
//! voltage through their own sensitivity, and the load every one of them puts on the output
//! changes the tone and the level of all the others. On a distribution amplifier's own
//! outputs nobody changes anybody's tone: what they share is the supply, whose sag follows all
//! the outputs' currents (`physics::supply`). What each listener gets is computed here from the
//! same physics as a single headphone's report: the report of the heard headphone, and for
//! every listener the change the others make against having the jack (or the supply) alone.

use crate::catalog::{Decides, Provenance, hull};
use crate::physics::headphones::HeadphoneModel;
use crate::physics::output::{OperatingPoint, OutputStage, REFERENCE_DBFS_RMS};
use crate::physics::supply::{OtherOutput, SupplyShare};
use crate::physics::{Impedance, TheveninSource};
use crate::report::Report;
use crate::units::{db_to_gain, fmt_hz, gain_to_db, labelled};
use serde::Serialize;

/// Most headphones that may share the jack (or the amplifier) of the one heard.
pub const MAX_OTHER_LISTENERS: usize = crate::physics::supply::MAX_OTHER_OUTPUTS;

/// Where the other listeners' headphones are plugged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OthersOn {
    /// On the heard headphone's jack (a splitter, or two jacks on one driver): their
    /// impedances in parallel.
    #[default]
    SameJack,
    /// Each on an output of its own of the same amplifier (a distribution amplifier): stages
    /// of their own on one supply.
    OwnOutputs,
}

impl OthersOn {
    /// `model` (the heard headphone, or one spanning its estimates) as the output sees it with
    /// `others`: their impedances in parallel with its own on the jack, its own alone (named
    /// with them) when they have outputs of their own.
    pub fn as_seen(self, model: &HeadphoneModel, others: &[HeadphoneModel]) -> HeadphoneModel {
        match self {
            OthersOn::SameJack => model.sharing(others),
            OthersOn::OwnOutputs => model.beside(others),
        }
    }
}

/// `others` with their volumes relative to the heard one's, dB.
pub fn with_volumes(others: &[Listener]) -> Vec<(&HeadphoneModel, f64)> {
    (others.iter())
        .map(|l| (&l.model, l.volume_offset_db))
        .collect()
}

/// What every listener gets with `others` plugged in `on` the jack or outputs of their own of
/// `stage` (one output's, with the supply to itself, of a device with `outputs` outputs; the
/// stages spanning its estimates `across`), the heard one set to `volume_db`. `None` when
/// `heard` has the output to itself.
pub fn figures(
    on: OthersOn,
    stages: (&OutputStage, &[OutputStage]),
    outputs: usize,
    heard: &HeadphoneModel,
    others: &[Listener],
    volume_db: f64,
    target_spl_db: f64,
) -> Option<JackFigures> {
    match on {
        OthersOn::SameJack => {
            jack_figures(stages.0, heard, &models(others), volume_db, target_spl_db)
        }
        OthersOn::OwnOutputs => {
            let others = with_volumes(others);
            own_outputs_figures(stages, outputs, heard, &others, volume_db, target_spl_db)
        }
    }
}

/// `stage` with the `others`' outputs (each at its volume ratio to the heard one) sharing its
/// supply. A device with `outputs` outputs takes `outputs − 1` of them (and at most
/// `MAX_OTHER_LISTENERS`); the count of those left out comes back too. Allocation-free, so that
/// the audio thread may form it.
pub fn on_own_outputs(
    stage: &OutputStage,
    outputs: usize,
    others: &[OtherOutput],
) -> (OutputStage, usize) {
    let room = room_for_others(outputs, others.len());
    let supply = SupplyShare::new(&others[..room]).unwrap_or(SupplyShare::NONE);
    (OutputStage { supply, ..*stage }, others.len() - room)
}

/// How many of `others` other listeners a device with `outputs` headphone outputs gives an
/// output of their own: one output is the heard listener's.
fn room_for_others(outputs: usize, others: usize) -> usize {
    (outputs.saturating_sub(1))
        .min(others)
        .min(MAX_OTHER_LISTENERS)
}

/// The listeners of `others` the figures count when they are plugged in `on` a device with
/// `outputs` headphone outputs: all of them on one jack; on outputs of their own, those that
/// find one (the first), so that no name is shown for a listener left out.
pub fn counted(on: OthersOn, outputs: usize, others: &[Listener]) -> &[Listener] {
    match on {
        OthersOn::SameJack => others,
        OthersOn::OwnOutputs => &others[..room_for_others(outputs, others.len())],
    }
}

/// The outputs driving `others` (headphones, each at its volume relative to the heard one's,
/// dB). A headphone that is no circuit (an imported curve) draws nothing here: only catalog
/// headphones are other listeners.
pub fn other_outputs(others: &[(&HeadphoneModel, f64)]) -> Vec<OtherOutput> {
    (others.iter())
        .filter_map(|(m, offset_db)| OtherOutput::of(&m.load, db_to_gain(*offset_db)).ok())
        .collect()
}

/// The frequency at which the tone change is told, Hz: where a dynamic headphone's bass
/// resonance lifts its impedance, and where a low-impedance neighbour changes the most.
pub const TONE_CHANGE_HZ: f64 = 100.0;
/// The frequency the tone change is relative to, Hz (as every deviation is).
const REFERENCE_HZ: f64 = 1000.0;

/// A headphone on the output, and where its figures come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    /// The headphone.
    pub model: HeadphoneModel,
    /// Where its figures come from (empty for an imported curve).
    pub provenance: Vec<Provenance>,
    /// On an output of its own: its volume relative to the heard one's, dB (0: the same
    /// setting; on the heard one's jack every listener has the same voltage).
    pub volume_offset_db: f64,
}

/// The models of `listeners`, in order.
pub fn models(listeners: &[Listener]) -> Vec<HeadphoneModel> {
    listeners.iter().map(|l| l.model.clone()).collect()
}

/// What one listener gets on the shared jack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListenerFigures {
    /// The headphone's name.
    pub headphone: String,
    /// Whether this is the headphone heard (the one the level is set for).
    pub heard: bool,
    /// The reference's SPL at the volume set for the heard headphone, dB SPL.
    pub reference_spl_db: f64,
    /// The SPL clean program peaks reach at maximum volume on the shared jack, dB SPL.
    pub peak_spl_db: f64,
    /// The level change the others on the jack make at 1 kHz at the same volume, dB
    /// (negative: quieter than with the jack alone).
    pub level_change_db: f64,
    /// The change they make to the tone at [`TONE_CHANGE_HZ`], relative to 1 kHz, dB
    /// (positive: more bass than with the jack alone).
    pub tone_change_db: f64,
    /// On a distribution amplifier's own outputs: this listener's volume relative to the
    /// heard one's, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_offset_db: Option<f64>,
    /// On a distribution amplifier's own outputs: the change the others' currents on the
    /// shared supply make to this listener's clean peaks, dB (negative: lower than with the
    /// supply to themselves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_change_db: Option<f64>,
    /// `peak_change_db` across the estimates' ranges, `[lowest, highest]` (none when nothing
    /// deciding is estimated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_change_range_db: Option<[f64; 2]>,
    /// How far this listener's programme peaks at their volume (the reference + 18 dB) go
    /// past the clean peaks the output gives them, dB (0: clean).
    pub peaks_clip_db: f64,
}

/// How far peaks at `reference_spl_db` + 18 dB go past `peak_spl_db`, the clean peaks, dB: 0
/// when they stay clean (within the few hundredths of a dB the figures carry).
fn peaks_over_db(reference_spl_db: f64, peak_spl_db: f64) -> f64 {
    let over = reference_spl_db - REFERENCE_DBFS_RMS - peak_spl_db;
    if over > 0.05 { over } else { 0.0 }
}

/// What the listeners ask of the output: on one jack, or on a distribution amplifier's own
/// outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JackFigures {
    /// Where the others are plugged in.
    #[serde(skip_serializing_if = "is_same_jack")]
    pub others_on: OthersOn,
    /// The headphones' impedance in parallel at 1 kHz, ohms (on own outputs, the heard
    /// headphone's alone).
    pub load_1k_ohm: f64,
    /// The peak current of the loudest clean sine at maximum volume, mA, where the level
    /// limit is (the report's `max_sine_freq_hz`): the jack's, or on own outputs the supply's
    /// for all the outputs.
    pub max_current_ma_peak: f64,
    /// Every listener, the heard one first.
    pub listeners: Vec<ListenerFigures>,
}

fn is_same_jack(on: &OthersOn) -> bool {
    *on == OthersOn::SameJack
}

/// What the heard headphone's figures rest on with `others` on its jack: its own figures'
/// sources, `heard`, and of the others only their impedance curves (their sensitivities set
/// no figure of the heard one).
pub fn provenance_on_jack(heard: &[Provenance], others: &[Listener]) -> Vec<Provenance> {
    let curves = others.iter().flat_map(|o| {
        o.provenance
            .iter()
            .filter(|p| p.decides != Decides::Sensitivity)
            .cloned()
    });
    heard.iter().cloned().chain(curves).collect()
}

/// The jack shared by `heard` and `others`, driven by `stage` at `volume_db` (the volume the
/// heard headphone's report sets), at `target_spl_db`; `None` when `heard` has the jack alone.
pub fn jack_figures(
    stage: &OutputStage,
    heard: &HeadphoneModel,
    others: &[HeadphoneModel],
    volume_db: f64,
    target_spl_db: f64,
) -> Option<JackFigures> {
    if others.is_empty() {
        return None;
    }
    let everyone: Vec<&HeadphoneModel> = std::iter::once(heard).chain(others).collect();
    let listeners = (0..everyone.len())
        .map(|i| {
            let rest: Vec<HeadphoneModel> = everyone
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, m)| (*m).clone())
                .collect();
            listener_figures(stage, everyone[i], &rest, volume_db, target_spl_db, i == 0)
        })
        .collect();
    let shared = heard.sharing(others);
    let report = Report::new(&shared.name, stage, &shared, target_spl_db);
    let at_max = OperatingPoint {
        stage,
        load: &shared.load,
        sens_db_spl_per_v: shared.sens_db_spl_per_v,
        volume_db: 0.0,
    };
    let f = report.max_sine_freq_hz;
    let z_total = shared.load.z_ohm(f) + stage.source.z_out().z_ohm(f);
    Some(JackFigures {
        others_on: OthersOn::SameJack,
        load_1k_ohm: shared.load.z_ohm(REFERENCE_HZ).norm(),
        max_current_ma_peak: at_max.emf_limit_peak(f).0 / z_total.norm() * 1e3,
        listeners,
    })
}

/// The listeners of a distribution amplifier, each on an output of its own: the heard one
/// (at `volume_db`) and the `others` that find an output (the first `outputs − 1`), each a
/// headphone and its volume relative to the heard one's (dB); `stage` is one output's, with
/// the supply to itself, and `across` the stages spanning its estimates (each listener's cost
/// from the supply is given across them too). `None` when `heard` has the amplifier alone.
pub fn own_outputs_figures(
    (stage, across): (&OutputStage, &[OutputStage]),
    outputs: usize,
    heard: &HeadphoneModel,
    others: &[(&HeadphoneModel, f64)],
    volume_db: f64,
    target_spl_db: f64,
) -> Option<JackFigures> {
    let others = &others[..others.len().min(outputs.saturating_sub(1))];
    if others.is_empty() {
        return None;
    }
    let everyone: Vec<(&HeadphoneModel, f64)> = std::iter::once((heard, 0.0))
        .chain(others.iter().copied())
        .collect();
    let listeners = (0..everyone.len())
        .map(|i| {
            let (model, offset_db) = everyone[i];
            // The others as this listener's output sees them: at their volumes against its.
            let rest: Vec<(&HeadphoneModel, f64)> = (everyone.iter().enumerate())
                .filter(|&(j, _)| j != i)
                .map(|(_, &(m, o))| (m, o - offset_db))
                .collect();
            let rest = other_outputs(&rest);
            // How loud clean peaks get at maximum volume, as a report gives them.
            let peak = |stage: &OutputStage| {
                let at_max = OperatingPoint {
                    stage,
                    load: &model.load,
                    sens_db_spl_per_v: model.sens_db_spl_per_v,
                    volume_db: 0.0,
                };
                at_max.reference_spl_db() + at_max.headroom_db()
            };
            let cost = |s: &OutputStage| peak(&on_own_outputs(s, outputs, &rest).0) - peak(s);
            let shared = on_own_outputs(stage, outputs, &rest).0;
            let at_volume = OperatingPoint {
                stage: &shared,
                load: &model.load,
                sens_db_spl_per_v: model.sens_db_spl_per_v,
                volume_db: volume_db + offset_db,
            };
            let costs = across.iter().map(cost);
            let clean = peak(&shared);
            ListenerFigures {
                headphone: model.name.clone(),
                heard: i == 0,
                reference_spl_db: at_volume.reference_spl_db(),
                peak_spl_db: clean,
                peaks_clip_db: peaks_over_db(at_volume.reference_spl_db(), clean),
                level_change_db: 0.0,
                tone_change_db: 0.0,
                volume_offset_db: Some(offset_db),
                peak_change_db: Some(cost(stage)),
                peak_change_range_db: (!across.is_empty()).then(|| hull(cost(stage), costs)),
            }
        })
        .collect();
    let (shared, _) = on_own_outputs(stage, outputs, &other_outputs(others));
    let report = Report::new(&heard.name, &shared, heard, target_spl_db);
    let f = report.max_sine_freq_hz;
    let at_max = OperatingPoint {
        stage: &shared,
        load: &heard.load,
        sens_db_spl_per_v: heard.sens_db_spl_per_v,
        volume_db: 0.0,
    };
    let z_total = heard.load.z_ohm(f) + stage.source.z_out().z_ohm(f);
    let emf = at_max.emf_limit_peak(f).0;
    let others_current = (shared.supply).current_peak(&stage.source, f, emf, stage.i_max_peak);
    Some(JackFigures {
        others_on: OthersOn::OwnOutputs,
        load_1k_ohm: heard.load.z_ohm(REFERENCE_HZ).norm(),
        max_current_ma_peak: (emf / z_total.norm() + others_current) * 1e3,
        listeners,
    })
}

/// What `model` gets with `rest` on its jack.
fn listener_figures(
    stage: &OutputStage,
    model: &HeadphoneModel,
    rest: &[HeadphoneModel],
    volume_db: f64,
    target_spl_db: f64,
    heard: bool,
) -> ListenerFigures {
    let shared = model.sharing(rest);
    let source = &stage.source;
    let at_volume = OperatingPoint {
        stage,
        load: &shared.load,
        sens_db_spl_per_v: model.sens_db_spl_per_v,
        volume_db,
    };
    let clean = Report::new("", stage, &shared, target_spl_db).peak_spl_db;
    ListenerFigures {
        headphone: model.name.clone(),
        heard,
        reference_spl_db: at_volume.reference_spl_db(),
        peak_spl_db: clean,
        peaks_clip_db: peaks_over_db(at_volume.reference_spl_db(), clean),
        level_change_db: level_db(source, &shared.load, REFERENCE_HZ)
            - level_db(source, &model.load, REFERENCE_HZ),
        tone_change_db: source.deviation_db(&shared.load, TONE_CHANGE_HZ)
            - source.deviation_db(&model.load, TONE_CHANGE_HZ),
        volume_offset_db: None,
        peak_change_db: None,
        peak_change_range_db: None,
    }
}

/// The level `source` gives `load` at `freq_hz` against an ideal output, dB.
fn level_db(source: &TheveninSource, load: &dyn Impedance, freq_hz: f64) -> f64 {
    gain_to_db(source.transfer(load, freq_hz).norm())
}

impl JackFigures {
    /// What every listener gets, in words, as the report's column prints it: each sentence
    /// after its label, wrapped to the report's width.
    pub fn text(&self) -> String {
        let lines: Vec<String> = (self.sentences().iter())
            .map(|(label, sentence)| labelled(label, sentence))
            .collect();
        lines.join("\n")
    }

    /// What every listener gets, one sentence each after its label ("heard", "also on jack",
    /// …), unwrapped: "Sennheiser HD 600: with Beyerdynamic DT 770 Pro 32 ohm on the same
    /// jack, loses 7.38 dB and gains 0.19 dB at 100 Hz; …".
    pub fn sentences(&self) -> Vec<(&'static str, String)> {
        if self.others_on == OthersOn::OwnOutputs {
            return self.own_outputs_sentences();
        }
        let mut lines = vec![(
            "shared jack",
            format!(
                "{:.1} Ω at 1 kHz for all of them; {:.0} mA peak at the loudest clean sine",
                self.load_1k_ohm, self.max_current_ma_peak
            ),
        )];
        for (i, l) in self.listeners.iter().enumerate() {
            let others: Vec<&str> = self
                .listeners
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, o)| o.headphone.as_str())
                .collect();
            let label = if l.heard { "heard" } else { "also on jack" };
            lines.push((label, format!(
                "{}: with {} on the same jack, {} and {} at {}; {:.1} dB SPL at this volume, clean peaks up to {:.1} dB SPL{}",
                l.headphone,
                others.join(", "),
                change_words(l.level_change_db),
                change_words(l.tone_change_db),
                fmt_hz(TONE_CHANGE_HZ),
                l.reference_spl_db,
                l.peak_spl_db,
                l.clipping_words(),
            )));
        }
        lines
    }
}

impl JackFigures {
    /// A distribution amplifier's listeners in words, one sentence each.
    fn own_outputs_sentences(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![(
            "own outputs",
            format!(
                "each on an output of its own, one supply for all: {:.0} mA peak from it at the loudest clean sine",
                self.max_current_ma_peak
            ),
        )];
        for l in &self.listeners {
            // Costs are negative changes; a change that rounds to nothing is no cost.
            let lower = |db: f64| (-db).max(0.0);
            let cost = match (l.peak_change_db.unwrap_or(0.0), l.peak_change_range_db) {
                (_, Some([lo, hi])) if hi - lo >= 0.005 && lower(hi) < 0.005 => format!(
                    "up to {:.2} dB lower for the others on the supply across the estimates' ranges",
                    lower(lo)
                ),
                (_, Some([lo, hi])) if hi - lo >= 0.005 => format!(
                    "{:.2}–{:.2} dB lower for the others on the supply across the estimates' ranges",
                    lower(hi),
                    lower(lo)
                ),
                (c, _) if c.abs() < 0.005 => "as with the supply to itself".to_string(),
                (c, _) => format!("{:.2} dB lower for the others on the supply", -c),
            };
            let label = if l.heard { "heard" } else { "other output" };
            lines.push((
                label,
                format!(
                    "{}: {}, {:.1} dB SPL; clean peaks up to {:.1} dB SPL, {cost}{}",
                    l.headphone,
                    offset_words(l.volume_offset_db.unwrap_or(0.0)),
                    l.reference_spl_db,
                    l.peak_spl_db,
                    l.clipping_words(),
                ),
            ));
        }
        lines
    }
}

impl ListenerFigures {
    /// "; PEAKS CLIP by 2.9 dB (121.0 dB SPL needed)" when this listener's peaks clip, else
    /// nothing.
    fn clipping_words(&self) -> String {
        if self.peaks_clip_db > 0.0 {
            format!(
                "; PEAKS CLIP by {:.1} dB ({:.1} dB SPL needed)",
                self.peaks_clip_db,
                self.reference_spl_db - REFERENCE_DBFS_RMS
            )
        } else {
            String::new()
        }
    }
}

impl JackFigures {
    /// The other listeners whose peaks clip at their volume, in a clause for the verdict
    /// ("Beyerdynamic DT 770 Pro 32 ohm's peaks clip by 2.9 dB at their volume"); `None`
    /// when every other listener's peaks are clean.
    pub fn others_clipping(&self) -> Option<String> {
        let clipping: Vec<String> = (self.listeners.iter())
            .filter(|l| !l.heard && l.peaks_clip_db > 0.0)
            .map(|l| format!("{}'s by {:.1} dB", l.headphone, l.peaks_clip_db))
            .collect();
        (!clipping.is_empty()).then(|| {
            format!(
                "other listeners' peaks clip at their volume: {}",
                clipping.join(", ")
            )
        })
    }
}

/// "at your volume", "6.0 dB over your volume" or "6.0 dB under your volume".
fn offset_words(db: f64) -> String {
    if db.abs() < 0.05 {
        "at your volume".into()
    } else if db > 0.0 {
        format!("{db:.1} dB over your volume")
    } else {
        format!("{:.1} dB under your volume", -db)
    }
}

/// "gains 0.39 dB" or "loses 2.31 dB" ("is unchanged" within half a hundredth of a dB).
fn change_words(db: f64) -> String {
    if db.abs() < 0.005 {
        return "is unchanged".into();
    }
    let verb = if db > 0.0 { "gains" } else { "loses" };
    format!("{verb} {:.2} dB", db.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::Load;
    use crate::physics::headphones::HeadphoneLoad;
    use num_complex::Complex64;
    use std::f64::consts::PI;

    fn model(name: &str, load: Load, sens_db_spl_per_v: f64) -> HeadphoneModel {
        HeadphoneModel {
            name: name.into(),
            kind: "test".into(),
            nominal_ohm: load.z_ohm(1000.0).norm(),
            source: "test".into(),
            sens_db_spl_per_v,
            sens_source: "test".into(),
            load: HeadphoneLoad::Circuit(load),
        }
    }

    /// A 10 Ω output with a 300 Ω headphone and, on the same jack, a 20 Ω resistor in series
    /// with 100 µF (a load whose impedance rises in the bass): every listener's level and tone
    /// change is the voltage divider worked out by hand with complex numbers.
    #[test]
    fn each_listener_gets_the_divider_of_the_parallel_load() {
        let stage = OutputStage {
            source: TheveninSource {
                r_out_ohm: 10.0,
                coupling_cap_f: None,
            },
            v_fs_peak: 5.0,
            ..OutputStage::IDEAL
        };
        let hd = model("HD", Load::R(300.0), 100.0);
        let rc = model(
            "RC",
            Load::Series(vec![Load::R(20.0), Load::C(100e-6)]),
            110.0,
        );
        let jack = jack_figures(&stage, &hd, std::slice::from_ref(&rc), -10.0, 85.0).unwrap();

        let z_rc = |f: f64| Complex64::new(20.0, -1.0 / (2.0 * PI * f * 100e-6));
        let z_hd = Complex64::new(300.0, 0.0);
        let divider = |z: Complex64| (z / (z + 10.0)).norm();
        let parallel = |f: f64| 1.0 / (1.0 / z_hd + 1.0 / z_rc(f));
        let db = |x: f64| 20.0 * x.log10();
        // Alone, each hears its own divider; together, that of the parallel load.
        let change =
            |alone: &dyn Fn(f64) -> Complex64, f: f64| db(divider(parallel(f)) / divider(alone(f)));
        let alone_hd = |_: f64| z_hd;
        for (l, alone) in jack.listeners.iter().zip([
            &alone_hd as &dyn Fn(f64) -> Complex64,
            &z_rc as &dyn Fn(f64) -> Complex64,
        ]) {
            let level = change(alone, 1000.0);
            let tone = change(alone, 100.0) - level;
            assert!(
                (l.level_change_db - level).abs() < 1e-9,
                "{}: {l:?}",
                l.headphone
            );
            assert!(
                (l.tone_change_db - tone).abs() < 1e-9,
                "{}: {l:?}",
                l.headphone
            );
        }
        assert!(
            jack.listeners[0].level_change_db < -1.0,
            "the RC loads the jack"
        );
        assert!((jack.load_1k_ohm - parallel(1000.0).norm()).abs() < 1e-9);

        // At −10 dB the reference (pink noise at −18 dBFS) reaches each through its own
        // sensitivity: the RC listener is 10 dB more sensitive and hears the same voltage.
        let spl = |l: &ListenerFigures| l.reference_spl_db;
        assert!((spl(&jack.listeners[1]) - spl(&jack.listeners[0]) - 10.0).abs() < 1e-9);
        assert!(jack.listeners[0].heard && !jack.listeners[1].heard);
        assert!(jack_figures(&stage, &hd, &[], 0.0, 85.0).is_none());
    }

    /// On a distribution amplifier's own outputs nobody changes anybody's tone; the others'
    /// currents sag the shared supply, so each listener's clean peaks fall by the sagged
    /// rail worked out by hand: `e = V_rail / (1 + R_sag/|Z_own| + R_sag·r/|Z_other|)` (no
    /// current limit, resistive loads).
    #[test]
    fn on_own_outputs_the_others_cost_only_the_supplys_sag() {
        let stage = OutputStage {
            source: TheveninSource {
                r_out_ohm: 10.0,
                coupling_cap_f: None,
            },
            v_fs_peak: 10.0,
            rail_v_peak: 9.0,
            r_sag_ohm: 5.0,
            ..OutputStage::IDEAL
        };
        let (hd, low) = (
            model("HD", Load::R(300.0), 100.0),
            model("Low", Load::R(22.0), 110.0),
        );
        // The low-impedance listener plays 6 dB under the heard one.
        let jack =
            own_outputs_figures((&stage, &[]), 4, &hd, &[(&low, -6.0)], -10.0, 85.0).unwrap();
        let r = db_to_gain(-6.0);
        let rail = |own_ohm: f64, other: f64| 9.0 / (1.0 + 5.0 / own_ohm + 5.0 * other);
        let db = |x: f64| 20.0 * x.log10();
        let heard_cost = db(rail(310.0, r / 32.0) / rail(310.0, 0.0));
        let low_cost = db(rail(32.0, 1.0 / r / 310.0) / rail(32.0, 0.0));
        let [h, l] = &jack.listeners[..] else {
            panic!("two listeners: {jack:?}");
        };
        assert!(
            (h.peak_change_db.unwrap() - heard_cost).abs() < 1e-6,
            "{h:?} {heard_cost}"
        );
        assert!(
            (l.peak_change_db.unwrap() - low_cost).abs() < 1e-6,
            "{l:?} {low_cost}"
        );
        assert!(
            heard_cost < low_cost - 0.3,
            "the heavy load costs the other one more"
        );
        assert_eq!((h.level_change_db, h.tone_change_db), (0.0, 0.0));
        // Each at its own volume: the low one 6 dB down but 10 dB more sensitive, through its
        // own 10 Ω into 22 Ω against the heard one's 10 Ω into 300 Ω.
        let expected = 10.0 - 6.0 + db(22.0 / 32.0) - db(300.0 / 310.0);
        assert!((l.reference_spl_db - h.reference_spl_db - expected).abs() < 1e-9);
        assert_eq!(l.volume_offset_db, Some(-6.0));
        // The supply's current at the heard one's loudest clean sine: both outputs' currents.
        let e = rail(310.0, r / 32.0);
        let current_ma = e * (1.0 / 310.0 + r / 32.0) * 1e3;
        assert!(
            (jack.max_current_ma_peak - current_ma).abs() < 1e-6,
            "{jack:?}"
        );
        assert!(
            jack.text().contains("6.0 dB under your volume"),
            "{}",
            jack.text()
        );
        // A device with one output gives nobody an output of their own.
        let (one, left_out) = on_own_outputs(&stage, 1, &other_outputs(&[(&low, 0.0)]));
        assert!(one.supply.is_empty() && left_out == 1);
    }

    /// The current the output must deliver is the EMF at the level limit over the whole
    /// jack's impedance, with the output's own: a 100 mA limit into two 32 Ω resistors is
    /// reached, and the figure says 100 mA.
    #[test]
    fn the_jack_current_is_that_of_the_parallel_load() {
        let stage = OutputStage {
            source: TheveninSource {
                r_out_ohm: 2.0,
                coupling_cap_f: None,
            },
            v_fs_peak: 10.0,
            i_max_peak: 0.1,
            ..OutputStage::IDEAL
        };
        let a = model("A", Load::R(32.0), 100.0);
        let jack = jack_figures(&stage, &a, std::slice::from_ref(&a), 0.0, 85.0).unwrap();
        assert!((jack.max_current_ma_peak - 100.0).abs() < 1e-9, "{jack:?}");
        // The same headphones alone draw half of it at the same EMF: 10 V peak into 34 Ω is
        // 294 mA, so the limit holds either way; the shared jack reaches it at a lower SPL.
        let alone = Report::new("", &stage, &a, 85.0);
        let shared = Report::new("", &stage, &a.sharing(std::slice::from_ref(&a)), 85.0);
        assert!(shared.peak_spl_db < alone.peak_spl_db - 5.0);
        assert!(jack.text().contains("100 mA peak"), "{}", jack.text());
    }
}
