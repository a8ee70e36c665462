//! What the two serde adaptors (the decode depth limit, `codec::depth`, and the layout
//! tracer's explorer, `layout::explore`) share: a `Visitor` that wraps another forwards
//! every primitive `visit_*` to it unchanged, so no visitor sees a different call than
//! without the adaptor (serde's defaults would turn `visit_u8` into `visit_u64`, say).

/// Inside `impl Visitor for Adaptor` (whose wrapped visitor is `self.inner`): every
/// primitive `visit_*`, forwarded.
macro_rules! forward_primitive_visits {
    () => {
        $crate::visitor_forward::forward_primitive_visits!(@each
            visit_bool(bool),
            visit_i8(i8),
            visit_i16(i16),
            visit_i32(i32),
            visit_i64(i64),
            visit_i128(i128),
            visit_u8(u8),
            visit_u16(u16),
            visit_u32(u32),
            visit_u64(u64),
            visit_u128(u128),
            visit_f32(f32),
            visit_f64(f64),
            visit_char(char),
            visit_str(&str),
            visit_borrowed_str(&'de str),
            visit_string(String),
            visit_bytes(&[u8]),
            visit_borrowed_bytes(&'de [u8]),
            visit_byte_buf(Vec<u8>),
        );
    };
    (@each $($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method<E: serde::de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            self.inner.$method(value)
        }
    )*};
}

pub(crate) use forward_primitive_visits;
