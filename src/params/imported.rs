//! The imported headphone: the curve as a project saves it (`ImportedHeadphone`), the slot
//! the threads share it through (`ImportedSlot`), and the headphone models a choice names
//! (`headphone_model`, `heard_model`).
//!
//! It is state rather than a parameter (a host never automates it) and it is read from the
//! designer thread as well as the editor, so it lives apart from the parameter tree.

use loadline_core::catalog::{self, HeadphoneEntry};
use loadline_core::physics::headphones::{HeadphoneLoad, HeadphoneModel};
use loadline_core::physics::impedance::{ImpedancePoint, MeasuredCurve};
use loadline_core::scenario::{HeadphoneChoice, Listeners, OtherChoice};
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// A measured headphone curve the user imported, as the project saves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedHeadphone {
    /// The name shown (the file's name, by default).
    pub name: String,
    /// Sensitivity, dB SPL for 1 V RMS at 1 kHz.
    pub sens_db_spl_per_v: f64,
    /// Whether the phase was derived from the magnitude (the file had none).
    pub phase_derived: bool,
    /// The curve: frequency (Hz), magnitude (ohm), phase (degrees); empty for a headphone of
    /// the user's catalog.
    pub points: Vec<[f64; 3]>,
    /// The user's headphone this is, when it was picked from their catalog: saved whole, so
    /// that the project reopens the same on a machine without the user's file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<HeadphoneEntry>,
}

impl ImportedHeadphone {
    /// Wraps a curve read from a file.
    pub fn new(
        name: &str,
        sens_db_spl_per_v: f64,
        curve: &loadline_core::import::ImportedCurve,
    ) -> Self {
        ImportedHeadphone {
            name: name.to_string(),
            sens_db_spl_per_v,
            phase_derived: curve.phase_derived,
            points: curve
                .curve
                .points()
                .iter()
                .map(|p| [p.freq_hz, p.mag_ohm, p.phase_deg])
                .collect(),
            entry: None,
        }
    }

    /// The user's headphone `entry`, as a project keeps it.
    pub fn from_entry(entry: HeadphoneEntry) -> Self {
        ImportedHeadphone {
            name: catalog::user::marked(&entry.name()),
            sens_db_spl_per_v: entry.sens_db_spl_per_v(),
            phase_derived: false,
            points: Vec::new(),
            entry: Some(entry),
        }
    }

    /// The headphone model, or why the saved curve is unusable (a damaged project).
    pub fn model(&self) -> Result<HeadphoneModel, String> {
        if let Some(entry) = &self.entry {
            let problems = catalog::user_headphone_problems(entry);
            if !problems.is_empty() {
                return Err(problems.join("; "));
            }
            return Ok(HeadphoneModel {
                name: self.name.clone(),
                ..entry.model()
            });
        }
        if !(self.sens_db_spl_per_v.is_finite()) {
            return Err("the saved sensitivity is not a number".into());
        }
        let curve = MeasuredCurve::new(
            self.points
                .iter()
                .map(|&[freq_hz, mag_ohm, phase_deg]| ImpedancePoint {
                    freq_hz,
                    mag_ohm,
                    phase_deg,
                })
                .collect(),
        )
        .map_err(|e| e.0)?;
        Ok(HeadphoneModel {
            name: self.name.clone(),
            kind: "imported measurement".into(),
            nominal_ohm: loadline_core::physics::Impedance::z_ohm(&curve, 1000.0).norm(),
            source: if self.phase_derived {
                "imported curve (phase derived from the magnitude)".into()
            } else {
                "imported curve".into()
            },
            sens_db_spl_per_v: self.sens_db_spl_per_v,
            sens_source: "given with the import".into(),
            load: HeadphoneLoad::Measured(curve),
        })
    }
}

/// The imported curve, shared by the saved state, the editor and the designer thread (which
/// lock it) and the audio thread (which only reads the generation, an atomic).
#[derive(Debug, Clone, Default)]
pub struct ImportedSlot(Arc<ImportedInner>);

/// What an [`ImportedSlot`] shares: the curve behind a lock, and a generation the audio
/// thread can read without one.
#[derive(Debug, Default)]
struct ImportedInner {
    curve: Mutex<Option<ImportedHeadphone>>,
    generation: AtomicU32,
}

impl ImportedSlot {
    /// Counts the curves set so far: a change means the designer must redesign.
    pub fn generation(&self) -> u32 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// The curve, if one was imported (locks: not for the audio thread).
    pub fn get(&self) -> Option<ImportedHeadphone> {
        self.0
            .curve
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the curve (locks: not for the audio thread).
    pub fn set(&self, curve: Option<ImportedHeadphone>) {
        *self.0.curve.lock().unwrap_or_else(|e| e.into_inner()) = curve;
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl PersistentField<'_, Option<ImportedHeadphone>> for ImportedSlot {
    fn set(&self, new_value: Option<ImportedHeadphone>) {
        ImportedSlot::set(self, new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<ImportedHeadphone>) -> R,
    {
        f(&self.0.curve.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The name of the headphone choice one past the catalog.
pub const IMPORTED_HEADPHONE_NAME: &str = "Imported curve";

/// The headphone `choice` names: a catalog model, or the imported curve; when no usable curve
/// was imported, the catalog's first headphone, named so that the figures say it.
pub fn headphone_model(
    choice: HeadphoneChoice,
    catalog_models: &[HeadphoneModel],
    imported: &ImportedSlot,
) -> HeadphoneModel {
    if let HeadphoneChoice::Catalog(k) = choice {
        return catalog_models[k].clone();
    }
    let fallback = |why: &str| HeadphoneModel {
        name: format!("{} ({why})", catalog_models[0].name),
        ..catalog_models[0].clone()
    };
    match imported.get().map(|h| h.model()) {
        Some(Ok(m)) => m,
        Some(Err(e)) => fallback(&format!("the saved curve is unusable: {e}")),
        None => fallback("no curve imported"),
    }
}

/// The headphone heard as the output sees it: [`headphone_model`] of the heard choice, with
/// the others in parallel when they are on its jack.
pub fn heard_model(
    listeners: Listeners,
    catalog_models: &[HeadphoneModel],
    imported: &ImportedSlot,
    saved: &super::SavedSlot,
) -> HeadphoneModel {
    let saved = saved.get().others;
    let others: Vec<HeadphoneModel> = (listeners.others.iter().zip(&saved))
        .filter_map(|(place, saved)| match (*place)? {
            OtherChoice::Catalog(k) => catalog_models.get(k).cloned(),
            // A saved curve that is unusable counts as nobody, as the analysis has it.
            OtherChoice::Saved { .. } => saved.as_ref()?.model().ok(),
        })
        .collect();
    // On outputs of their own they load the supply, not the jack: the stage has them.
    listeners.on.as_seen(
        &headphone_model(listeners.heard, catalog_models, imported),
        &others,
    )
}
