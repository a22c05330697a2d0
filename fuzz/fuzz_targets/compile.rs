//! Spec text through parse, resolve and render, and the diagnostics through miette's renderer,
//! with `spec/` as the spec directory so the files it names exist. Any panic, overflow or hang is
//! a bug; errors are the expected outcome for most inputs.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
        let _ = fluxspec::testing::compile_spec_text(text, &spec_dir, data.len() % 2 == 0);
    }
});
