//! The macro's compile errors are part of the product: each case pins its message and span.

#[test]
fn macro_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
