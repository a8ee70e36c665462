//! Faults that need servers of their own, at the `#[ecached]` level: a frozen Redis, one
//! frozen Memcached of three (`topology::hang`), a Redis Cluster master lost and failed over
//! (`topology::cluster_failover`), and one Memcached of three lost
//! (`topology::memcached_loss`). Each test starts private servers on the run's path
//! (`EASY_CACHE_TEST_SERVERS`: containers or local processes) and removes them at its end.

mod topology;
