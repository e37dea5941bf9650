//! Any bytes as a WAV file: read in blocks to the end or refused with a reason, never a
//! panic, never more frames than the header gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadline_core::wav::WavBlocks;

fuzz_target!(|data: &[u8]| {
    let Ok(mut wav) = WavBlocks::from_reader(data, "fuzz.wav".into()) else {
        return;
    };
    let mut frames = 0u64;
    while let Ok(block) = wav.next_block(256) {
        let got = block[0].len() as u64;
        assert!(block.iter().all(|c| c.len() as u64 == got));
        if got == 0 {
            break;
        }
        frames += got;
        assert!(frames <= wav.frames());
    }
});
