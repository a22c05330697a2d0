//! Bytes as a manifest file: YAML parsing (duplicate keys, depth limits), the `substitute:
//! disabled` label and annotation, JSON 6902 operations and every `${…}` expression.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fluxspec::testing::check_manifest_bytes(data);
});
