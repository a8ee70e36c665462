//! Procedural macros of easy-cache. Use them through the `easy-cache` crate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ecached;
mod errors;
mod paths;
mod property;

use proc_macro::TokenStream;

/// Caches a function's or method's result, keyed by its arguments, with tags, a prefix and
/// a timeout; generates the handle `<name>_cache()` (`Type::<name>_cache()` for methods) to
/// invalidate or refresh entries. On an `async fn` the handle's verbs are async; on a plain
/// `fn` the calls and the handle (an `easy_cache::blocking::CacheHandle`) are sync, and work
/// in and out of a tokio runtime. Arguments, all optional: `key` (template,
/// list of parameter names, or function), `timeout`, `tags`, `prefix` (the first four may be
/// positional), `cache_alias` or `cache_instance`, `single_flight`, `single_flight_wait`,
/// `cache_none`, `codec`, `version`, the resilience options `fail_safe`,
/// `fail_safe_throttle`, `refresh_ahead`, `jitter`, `soft_timeout`, `hard_timeout` (the
/// guide's "Fail-safe and refresh" chapter), and `crate = "path"`: where generated code finds
/// easy-cache (default `::easy_cache`), for a renamed dependency or a crate that re-exports
/// easy-cache. The guide's "Getting started" chapter covers each.
///
/// A mistake is a compile error at its place; every mistake of a call shows at once, and
/// the function and its handle stay declared, so their callers add no errors of their own.
///
/// ```
/// use easy_cache::ecached;
///
/// #[ecached("user:{id}", 600, tags = ["users", "user:{id}"])]
/// async fn load_user(id: u64) -> String {
///     format!("user #{id}")
/// }
///
/// # #[tokio::main] async fn main() -> easy_cache::Result<()> {
/// assert_eq!(load_user(7).await, "user #7");
/// assert_eq!(load_user_cache().cache_key(&7), "user:7");
/// load_user_cache().invalidate_cache_by_tags(&7).await?;
/// # Ok(()) }
/// ```
#[proc_macro_attribute]
pub fn ecached(attr: TokenStream, item: TokenStream) -> TokenStream {
    ecached::expand(attr.into(), item.into()).into()
}

/// Cached properties and key identity for a struct: each
/// `#[ecached(property = name, returns = Type, ...)]` becomes a cached async getter computed
/// by `compute_<name>` (or `compute = path`), with every `#[ecached]` option and a handle
/// `Type::<name>_cache()` (with `sync`, a plain getter calling a plain compute method, and a
/// sync handle); fields marked `#[ecached(id)]` make the struct a key part. An
/// attribute of its own, `#[ecached(crate = "path")]`, says where easy-cache is (default
/// `::easy_cache`), as `#[ecached]`'s `crate` option does.
///
/// ```
/// use easy_cache::ECached;
///
/// #[derive(ECached)]
/// #[ecached(property = friends_count, returns = u64, key = "friends:{self.id}", timeout = 3600)]
/// struct User {
///     #[ecached(id)]
///     id: u64,
/// }
///
/// impl User {
///     async fn compute_friends_count(&self) -> u64 {
///         self.id * 2
///     }
/// }
///
/// # #[tokio::main] async fn main() -> easy_cache::Result<()> {
/// let user = User { id: 21 };
/// assert_eq!(user.friends_count().await, 42);
/// assert_eq!(easy_cache::create_cache_key!("user", user), "user:21");
/// User::friends_count_cache().invalidate_cache_by_key(&user).await?;
/// # Ok(()) }
/// ```
#[proc_macro_derive(ECached, attributes(ecached))]
pub fn derive_ecached(input: TokenStream) -> TokenStream {
    property::expand(input.into()).into()
}
