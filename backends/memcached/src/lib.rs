//! memcached backend of easy-cache (being written).
