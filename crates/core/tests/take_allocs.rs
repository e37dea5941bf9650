//! The audio thread's end of a measurement neither allocates nor frees: a counting allocator
//! (this test binary's own) watches `TakePlayer::process` for a whole take, from the block that
//! picks it up to the one that hands it back.

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
