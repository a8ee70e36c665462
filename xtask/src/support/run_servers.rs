//! Starting the test servers for a run: which ones, where, and telling the user.

use easy_cache_integration_tests::{
    env,
    servers::{Provider, ServerMode, Servers, ServersSpec},
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
        () = super::process::interrupted() => return Err("interrupted".to_owned()),
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

/// The servers of one step of a run: none when the user brought them all.
pub struct RunServers(Option<Servers>);

impl RunServers {
    /// Starts the servers of `spec` (see [`start`]), or none when `spec` is empty.
    pub async fn start(mode: ServerMode, spec: &ServersSpec) -> Result<Self, String> {
        if is_empty(spec) {
            return Ok(RunServers(None));
        }
        start(mode, spec)
            .await
            .map(|servers| RunServers(Some(servers)))
    }

    /// The `EASY_CACHE_TEST_*` variables pointing at them.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        self.0.as_ref().map_or_else(Vec::new, |servers| {
            servers
                .env_vars()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        })
    }

    /// Where they run; local when none was started.
    pub fn provider(&self) -> Provider {
        self.0.as_ref().map_or(Provider::Local, Servers::provider)
    }

    /// Removes them, recording a failure to.
    pub async fn stop(self, failures: &mut Vec<String>) {
        if let Some(servers) = self.0 {
            println!("\n==> stopping the servers");
            if let Err(e) = servers.shutdown().await {
                failures.push(format!("stopping servers: {e}"));
            }
        }
    }
}
