//! Starting the test servers for a run: which ones, where, and telling the user.

use easy_cache_integration_tests::{
    env,
    servers::{ServerMode, Servers, ServersSpec},
};

/// The URL variables a user may set to bring their own server.
const URL_VARS: [&str; 3] = [env::REDIS_URL, env::REDIS_CLUSTER_URL, env::MEMCACHED_URL];

/// True when the user set `var` (then that server is theirs, not ours).
fn user_set(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.trim().is_empty())
}

/// The servers to start: all of them, less those the user pointed at with a URL variable.
pub fn spec_from_env() -> ServersSpec {
    for var in URL_VARS.into_iter().filter(|v| user_set(v)) {
        eprintln!("    {var} is set: using that server instead of starting one");
    }
    let defaults = ServersSpec::default();
    ServersSpec {
        redis: !user_set(env::REDIS_URL),
        redis_cluster: !user_set(env::REDIS_CLUSTER_URL),
        memcached: if user_set(env::MEMCACHED_URL) {
            0
        } else {
            defaults.memcached
        },
        ..defaults
    }
}

/// True when `spec` starts nothing.
pub fn is_empty(spec: &ServersSpec) -> bool {
    !spec.redis && !spec.redis_cluster && spec.memcached == 0
}

/// Starts the servers of `spec`, stopping early on Ctrl-C, and prints where they run.
pub async fn start(mode: ServerMode, spec: &ServersSpec) -> Result<Servers, String> {
    eprintln!("\n==> starting test servers ({mode:?})");
    let servers = tokio::select! {
        started = Servers::start_with(mode, spec) => {
            started.map_err(|e| format!("cannot start the test servers: {e}"))?
        }
        () = crate::process::interrupted() => return Err("interrupted".to_owned()),
    };
    eprintln!("    path: {}", servers.provider());
    for handle in servers.handles() {
        eprintln!("    {handle}");
    }
    for (var, value) in servers.env_vars() {
        eprintln!("    {var}={value}");
    }
    Ok(servers)
}
