//! redis backend of easy-cache (being written).
