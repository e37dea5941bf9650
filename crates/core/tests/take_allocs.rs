//! What the audio thread calls neither allocates nor frees: a counting allocator (this test
//! binary's own) watches `TakePlayer::process` for a whole take, from the block that picks it
//! up to the one that hands it back, and a slot's chain formed with 1/f noise on both ends.

use loadline_core::measure::take::{Take, take_channel};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts the allocations and frees of the thread that is watching.
struct Counting;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the thread-locals may be gone while a thread shuts down.
    let _ = WATCHING.try_with(|w| {
        if w.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting touches
// only `Cell`s of this thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's layout is passed on as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: as for `dealloc`, with the new size the caller asked for.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_take_is_played_and_recorded_without_an_allocation() {
    let (mut control, mut player) = take_channel();
    control.start(Take::new(48_000.0)).unwrap();
    let mut l = vec![0.25f32; 512];
    let mut r = vec![-0.25f32; 512];
    let mut blocks = 0;
    WATCHING.with(|w| w.set(true));
    while player.process(&mut [&mut l, &mut r]) {
        blocks += 1;
    }
    WATCHING.with(|w| w.set(false));
    assert!(blocks > 2_000, "a whole take: {blocks} blocks");
    assert_eq!(
        COUNT.with(Cell::get),
        0,
        "allocations or frees in process()"
    );
    let take = control.finished().expect("handed back whole");
    assert!(take.is_whole());
}

#[test]
fn a_chain_with_flicker_noise_is_formed_without_an_allocation() {
    use loadline_core::catalog::{
        AmpGain, ChainAmp, ChainSource, ChainSpec, OwnSource, find_output,
    };
    use loadline_core::physics::output::OutputFigures;
    // Figures of one's own with a 1/f corner, feeding the Magni 2 (whose noise has none): the
    // chain's noise is summed over the band for a corner nothing precomputed.
    let source = OutputFigures {
        full_scale_dbu: Some(10.0),
        r_out_ohm: 10.0,
        dynamic_range_db: Some((110.0, true)),
        noise_floor_dbv: Some((-100.0, true)),
        flicker_corner_hz: 2000.0,
        ..OutputFigures::default()
    }
    .stage();
    let spec = ChainSpec {
        source: ChainSource::Own(OwnSource::headphone_out(source)),
        jack: loadline_core::catalog::SourceJack::HeadphoneOut,
        source_volume_db: 0.0,
        amp: ChainAmp::Catalog(find_output("magni 2").unwrap()),
        gain: AmpGain::High,
    };
    // The catalog's stages are derived once, before the audio thread runs.
    let _ = loadline_core::catalog::output_stage(0);
    loadline_core::physics::output::NoiseSpec::warm_up();
    let before = COUNT.with(Cell::get);
    WATCHING.with(|w| w.set(true));
    let stage = spec.stage();
    WATCHING.with(|w| w.set(false));
    let counted = COUNT.with(Cell::get) - before;
    let stage = stage.expect("a chain");
    assert!(stage.noise_pre.level_vrms > 0.0);
    assert_eq!(counted, 0, "allocations or frees forming the chain");
}
