//! The devices a project holds by value beside the parameters: each slot's amplifier when it
//! is one of the user's, and each other listener's headphone when it is one of the user's or
//! an imported curve. They are saved whole, so that a project reopens the same on a machine
//! without the user's catalog file, and a parameter says only that the saved one is chosen
//! (`Listeners::SAVED`).
//!
//! The editor and the designer thread read them behind a lock. The audio thread needs only a
//! `Copy` summary ([`DevicesNow`]: the amplifiers' figures, the others' loads on a shared
//! supply), and refreshes its own copy of it only when the generation (an atomic) changes,
//! and then with `try_lock`: it never waits for the editor, keeping the copy it has until the
//! lock is free.

use super::imported::ImportedHeadphone;
use loadline_core::catalog::{OutputEntry, OwnAmp};
use loadline_core::listeners::MAX_OTHER_LISTENERS;
use loadline_core::physics::supply::OtherOutput;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The devices a project saves beside its parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedDevices {
    /// Slot A's and slot B's amplifier, when it is one of the user's.
    #[serde(default)]
    pub amps: [Option<OutputEntry>; 2],
    /// The other listeners' headphones, place by place, when they are the user's or imported.
    #[serde(default)]
    pub others: [Option<ImportedHeadphone>; MAX_OTHER_LISTENERS],
}

/// What the audio thread needs of the saved devices, by value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DevicesNow {
    /// Each slot's saved amplifier, as a chain takes it.
    pub amps: [Option<OwnAmp>; 2],
    /// Each place's saved headphone as the load of an output of its own on a shared supply
    /// (`None` for a curve, which is no circuit: it draws nothing there, as
    /// `listeners::other_outputs` has it).
    pub others: [Option<OtherOutput>; MAX_OTHER_LISTENERS],
    /// The generation of the devices this was made from.
    pub generation: u32,
}

impl DevicesNow {
    /// The summary of `saved`, generation `generation`.
    fn of(saved: &SavedDevices, generation: u32) -> Self {
        let other = |h: &ImportedHeadphone| {
            let model = h.model().ok()?;
            OtherOutput::of(&model.load, 1.0).ok()
        };
        DevicesNow {
            amps: saved
                .amps
                .each_ref()
                .map(|a| a.as_ref().and_then(OwnAmp::of)),
            others: saved.others.each_ref().map(|o| o.as_ref().and_then(other)),
            generation,
        }
    }
}

/// The saved devices, shared by the saved state, the editor, the designer thread and (through
/// [`SavedSlot::refresh`]) the audio thread.
#[derive(Debug, Clone, Default)]
pub struct SavedSlot(Arc<SavedInner>);

/// What a [`SavedSlot`] shares.
#[derive(Debug, Default)]
struct SavedInner {
    saved: Mutex<SavedDevices>,
    now: Mutex<DevicesNow>,
    generation: AtomicU32,
}

/// `mutex` locked, whether or not a thread panicked holding it (what it holds is whole:
/// every write replaces a value).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl SavedSlot {
    /// The saved devices (locks: not for the audio thread).
    pub fn get(&self) -> SavedDevices {
        locked(&self.0.saved).clone()
    }

    /// Counts the changes so far: a change means the designer must redesign.
    pub fn generation(&self) -> u32 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// Changes the saved devices with `change` (locks: not for the audio thread).
    pub fn update(&self, change: impl FnOnce(&mut SavedDevices)) {
        let mut saved = locked(&self.0.saved);
        change(&mut saved);
        let generation = self.generation().wrapping_add(1);
        *locked(&self.0.now) = DevicesNow::of(&saved, generation);
        self.0.generation.store(generation, Ordering::Release);
    }

    /// The summary now (locks: not for the audio thread).
    pub fn now(&self) -> DevicesNow {
        *locked(&self.0.now)
    }

    /// Brings the audio thread's copy `cached` up to date when the devices changed and the
    /// lock is free; otherwise leaves it as it is. Never waits, never allocates.
    pub fn refresh(&self, cached: &mut DevicesNow) {
        if self.generation() != cached.generation
            && let Ok(now) = self.0.now.try_lock()
        {
            *cached = *now;
        }
    }
}

impl PersistentField<'_, SavedDevices> for SavedSlot {
    fn set(&self, new_value: SavedDevices) {
        self.update(|saved| *saved = new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SavedDevices) -> R,
    {
        f(&locked(&self.0.saved))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loadline_core::catalog;

    #[test]
    fn the_audio_threads_copy_follows_every_change_once_the_lock_is_free() {
        let slot = SavedSlot::default();
        let mut cached = DevicesNow::default();
        slot.refresh(&mut cached);
        assert_eq!(cached.amps, [None, None]);
        let magni = catalog::outputs()[catalog::find_output("magni 2").unwrap()].clone();
        slot.update(|s| s.amps[1] = Some(magni.clone()));
        // Held by the editor: the copy stays as it was, and the audio thread does not wait.
        {
            let _held = slot.0.now.lock().unwrap();
            slot.refresh(&mut cached);
            assert_eq!(cached.amps[1], None);
        }
        slot.refresh(&mut cached);
        assert_eq!(cached.amps[1], OwnAmp::of(&magni));
        assert!(cached.amps[1].is_some());
        assert_eq!(cached.generation, slot.generation());
    }
}
