//! sled backend of easy-cache (being written).
