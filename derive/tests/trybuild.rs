//! The macros' compile errors are part of the product: each case pins its message and span.
//! They live here, not in the facade, so trybuild builds the facade with few features.

#[test]
fn macro_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // What compiles now and once refused (a plain `fn`): built and run.
    cases.pass("tests/pass/*.rs");
}
